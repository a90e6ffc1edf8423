import { Controller, FileTypeValidator, Get, Req } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';

/**
 * NestJS 12 depends on two packages that declare Node 22 (`npm install` warns EBADENGINE on Node
 * 20): file-type 22 (@nestjs/common's FileTypeValidator) and cookie 2 (light-my-request, behind
 * Fastify's inject()). The README says both work on Node 20.19+: this runs them on the Node that
 * runs the tests (CI: 20 and 24).
 */
describe(`NestJS 12's Node 22 dependencies on Node ${process.versions.node}`, () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

  it('file-type: FileTypeValidator reads a file by its magic number', async () => {
    const validator = new FileTypeValidator({ fileType: 'image/png' });
    expect(await validator.isValid({ buffer: png, mimetype: 'image/png' } as never)).toBe(true);
    // A PNG sent as a JPEG is told by its bytes, which only file-type reads.
    expect(await new FileTypeValidator({ fileType: 'image/jpeg' }).isValid({ buffer: png, mimetype: 'image/jpeg' } as never)).toBe(false);
  });

  it("cookie: Fastify's inject() sends and reads cookies", async () => {
    @Controller()
    class CookieController {
      @Get('cookie') cookie(@Req() request: { headers: { cookie?: string } }) {
        return { cookie: request.headers.cookie };
      }
    }
    const moduleRef = await Test.createTestingModule({ controllers: [CookieController] }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    try {
      const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/cookie', cookies: { session: 'a b' } });
      expect(response.json()).toEqual({ cookie: 'session=a%20b' });
    } finally {
      await app.close();
    }
  });
});
