import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { bench, describe } from 'vitest';
import { createMicrokubesDocument } from '../lib/swagger/index.js';
import { platformKeysDir } from '../lib/testing/index.js';
import { AppModule } from '../sample/src/app.module.js';

/**
 * What telling the truth costs, once per document (at start-up, or per /docs-json request with a
 * factory): the sample's document by @nestjs/swagger alone, and by createMicrokubesDocument (the
 * same, plus marking its handlers and describing each operation).
 */
const keys = platformKeysDir();
process.env.MICROKUBES_KEYS_DIR = keys.dir;
const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
delete process.env.MICROKUBES_KEYS_DIR;
const config = new DocumentBuilder().setOpenAPIVersion('3.1.0').setTitle('hello-service').build();

describe("openapi: the sample's document (13 operations)", () => {
  bench('SwaggerModule.createDocument', () => {
    SwaggerModule.createDocument(app, config);
  });
  bench('createMicrokubesDocument', () => {
    createMicrokubesDocument(app, config);
  });
});
