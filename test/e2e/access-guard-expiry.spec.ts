import { UseGuards } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Public, Roles, RolesGuard } from '../../lib/index.js';
import { MicrokubesTestingKit } from '../../lib/testing/index.js';
import { connectSocket } from '../support/socket-clients.js';
import { startApp, type RunningApp } from '../support/test-app.js';

/** Behind RolesGuard alone, on Nest's own socket.io adapter: the guard keeps the caller on the socket. */
@WebSocketGateway()
@UseGuards(RolesGuard)
class AdminGateway {
  @SubscribeMessage('admin')
  @Roles('admin')
  admin() {
    return { event: 'admin', data: 'secret' };
  }
}

/** The same, public: the role requirement still needs a caller, and a live one. */
@WebSocketGateway({ namespace: 'public' })
@UseGuards(RolesGuard)
@Public()
class PublicAdminGateway {
  @SubscribeMessage('admin')
  @Roles('admin')
  admin() {
    return { event: 'admin', data: 'secret' };
  }
}

describe('an access guard on a socket whose caller it kept', () => {
  const kit = MicrokubesTestingKit.create();
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp('express', { imports: [kit.module()], providers: [AdminGateway, PublicAdminGateway] });
  });
  afterAll(async () => {
    await running?.close();
    kit.remove();
  });

  it.each(['', '/public'])("judges it again past its token's exp, and refuses it (namespace %s)", async (namespace) => {
    const socket = connectSocket('socket.io', `${running.url}${namespace}`, { auth: { token: kit.expiringToken(2, { roles: ['admin'] }) } });
    try {
      expect(await socket.opened).toEqual({ open: true });
      socket.send('admin');
      expect(await socket.next('admin')).toBe('secret');
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      socket.send('admin');
      expect(await socket.next('exception')).toMatchObject({ code: 401, message: 'token expired' });
    } finally {
      socket.close();
    }
  });
});
