import { Transport, type TcpClientOptions, type TcpOptions } from '@nestjs/microservices';

/** The sample's own TCP message transport, on loopback: `RPC_PORT`, else the HTTP port plus one. */
function rpcAddress(): { host: string; port: number } {
  return { host: '127.0.0.1', port: Number(process.env.RPC_PORT ?? Number(process.env.PORT ?? 3000) + 1) };
}

/** What main.ts serves the message handlers on. */
export function rpcServerOptions(): TcpOptions {
  return { transport: Transport.TCP, options: rpcAddress() };
}

/** What the relay route's client calls. */
export function rpcClientOptions(): TcpClientOptions {
  return { transport: Transport.TCP, options: rpcAddress() };
}
