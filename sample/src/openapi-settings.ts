import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { createMicrokubesDocument } from 'microkubes-nestjs/swagger';

/** Where Swagger UI is served (its document at `/docs-json`). */
export const DOCS_PATH = 'docs';

/** The sample's OpenAPI 3.1 document, with the module's security in it. */
export function sampleDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('hello-service')
    .setDescription('The microkubes-nestjs sample service. Authorize with the demo token the service prints at start-up.')
    .setVersion('1.0.0')
    .build();
  return createMicrokubesDocument(app, config);
}

/** Swagger UI at /docs, served on the HTTP adapter (outside the guards, as /healthcheck is). */
export function serveApiDocs(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => sampleDocument(app), { swaggerOptions: { persistAuthorization: false } });
}
