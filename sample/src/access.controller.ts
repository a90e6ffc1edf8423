import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { AccessControlGuard, Auth, CurrentAuth, MicrokubesAuthGuard, Roles, RolesGuard } from 'microkubes-nestjs';
import { UseRoles } from 'nest-access-control';

/** The three layers of access control, each behind MicrokubesAuthGuard and the policies in config/acl.json. */
@Controller()
@UseGuards(MicrokubesAuthGuard, RolesGuard, AccessControlGuard)
export class AccessController {
  /** Needs the `admin` role. */
  @Get('admin')
  @Roles('admin')
  admin(@CurrentAuth() auth: Auth) {
    return { message: `Welcome, administrator ${auth.username}` };
  }

  /** Needs a nest-access-control grant: `read:any` on `reports`. */
  @Get('reports')
  @UseRoles({ resource: 'reports', action: 'read', possession: 'any' })
  reports() {
    return { reports: [{ id: 1, title: 'Quarterly numbers' }] };
  }

  /** Allowed by the `todos-read` policy to users. */
  @Get('todos')
  todos() {
    return { todos: [{ id: 1, title: 'Register with Kong' }, { id: 13, title: 'Sealed' }] };
  }

  /** `todos-read` again, except todo 13, which `todo-13-is-sealed` denies to everyone. */
  @Get('todos/:id')
  todo(@Param('id') id: string) {
    return { id: Number(id), title: `Todo ${id}` };
  }
}
