/**
 * `microkubes-nestjs/socket.io`: socket.io gateways with the module's security at the handshake.
 * Needs `@nestjs/websockets` and `@nestjs/platform-socket.io`, optional peers of the package.
 * @module
 */
export { MicrokubesIoAdapter, type SocketIoRefusal } from './microkubes-io.adapter.js';
