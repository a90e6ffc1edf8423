import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { AccessControlGuard, Auth, CurrentAuth, MicrokubesAuthGuard, Roles, RolesGuard, UseRoles } from 'microkubes-nestjs';
import { TodoIdPipe } from './todo-id.pipe.js';

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

  /**
   * `todos-read` again, except todo 13, which `todo-13-is-sealed` denies to everyone: the id is
   * read only in its canonical spelling, so that `/todos/013` cannot serve todo 13 (404).
   */
  @Get('todos/:id')
  todo(@Param('id', TodoIdPipe) id: number) {
    return { id, title: `Todo ${id}` };
  }
}
