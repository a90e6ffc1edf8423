/**
 * `microkubes-nestjs/swagger`: an OpenAPI document (@nestjs/swagger) that tells what the module
 * enforces. Needs `@nestjs/swagger`, an optional peer of the package: an app that does not import
 * this entry point does not load it.
 * @module
 */
export { createMicrokubesDocument } from './microkubes-document.js';
export { SCHEME_NAMES } from './security-schemes.js';
export { ERROR_SCHEMA_NAME, RESPONSE_NAMES } from './security-responses.js';
