/**
 * `microkubes-nestjs/microservices`: the caller's token (or the service's system token) on the
 * messages a `ClientProxy` sends. Handlers need nothing from here: the guards read each
 * message's headers. Needs `@nestjs/microservices`, an optional peer of the package.
 * @module
 */
export { withServiceCalls } from './with-service-calls.js';
