import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { MicrokubesTestingKit } from 'microkubes-nestjs/testing';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AdminController } from './admin.controller.js';

/** A consumer's own test, on node:test in a CommonJS app, with the testing kit: every guard real. */
describe('AdminController', () => {
  const kit = MicrokubesTestingKit.create();
  after(() => kit.remove());

  it('answers 200 to an admin, 403 to a user, 401 without a token', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [kit.module()], controllers: [AdminController] }).compile();
    const app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    try {
      assert.equal((await fetch(`${url}/admin`, kit.bearer({ roles: ['admin'] }))).status, 200);
      assert.equal((await fetch(`${url}/admin`, kit.bearer({ roles: ['user'] }))).status, 403);
      assert.equal((await fetch(`${url}/admin`)).status, 401);
    } finally {
      await app.close();
    }
  });
});
