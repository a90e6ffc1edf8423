import 'reflect-metadata';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { MicrokubesTestingKit } from 'microkubes-nestjs/testing';
import { AdminController } from './admin.controller.js';

/** A consumer's own test, on Jest in ESM mode, with the testing kit: every guard real. */
describe('AdminController', () => {
  const kit = MicrokubesTestingKit.create();
  afterAll(() => kit.remove());

  it('answers 200 to an admin, 403 to a user, 401 without a token', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [kit.module()], controllers: [AdminController] }).compile();
    const app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    try {
      expect((await fetch(`${url}/admin`, kit.bearer({ roles: ['admin'] }))).status).toBe(200);
      expect((await fetch(`${url}/admin`, kit.bearer({ roles: ['user'] }))).status).toBe(403);
      expect((await fetch(`${url}/admin`)).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});
