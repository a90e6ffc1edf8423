import { Controller, Get, UseGuards } from '@nestjs/common';
import { Auth, CurrentAuth, MicrokubesAuthGuard, Roles, RolesGuard } from 'microkubes-nestjs';

/** The consumer's controller under test: `@Roles('admin')` behind the module's guards. */
@Controller('admin')
@UseGuards(MicrokubesAuthGuard, RolesGuard)
export class AdminController {
  @Get()
  @Roles('admin')
  get(@CurrentAuth() auth: Auth) {
    return { admin: auth.username };
  }
}
