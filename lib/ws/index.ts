/**
 * `microkubes-nestjs/ws`: `ws` gateways with the module's security at the upgrade request.
 * Needs `@nestjs/websockets` and `@nestjs/platform-ws`, optional peers of the package.
 * @module
 */
export { MicrokubesWsAdapter, WS_CLOSE_FORBIDDEN, WS_CLOSE_UNAUTHORIZED } from './microkubes-ws.adapter.js';
