import { headers as natsHeaders } from '@nats-io/transport-node';
import { ClientProxyFactory, NatsRecordBuilder, RmqRecordBuilder, Transport, type ClientOptions, type ClientProxy, type MicroserviceOptions } from '@nestjs/microservices';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';

export type RpcKind = 'tcp' | 'redis' | 'nats' | 'rmq';

/** Headers as a caller sends them, as pairs: the same name may come twice (the ambiguity tests). */
export type RpcHeaders = ReadonlyArray<readonly [string, string]>;

/** Where a transport's server listens and its client connects: one queue or port per test file. */
export interface RpcEndpoint {
  kind: RpcKind;
  server: MicroserviceOptions;
  client: ClientOptions;
}

export function rpcEndpoint(kind: RpcKind, address: { port?: number; url?: string }): RpcEndpoint {
  switch (kind) {
    case 'tcp': {
      const options = { host: '127.0.0.1', port: address.port! };
      return { kind, server: { transport: Transport.TCP, options }, client: { transport: Transport.TCP, options } };
    }
    case 'redis': {
      const url = new URL(address.url!);
      const options = { host: url.hostname, port: Number(url.port) };
      return { kind, server: { transport: Transport.REDIS, options }, client: { transport: Transport.REDIS, options } };
    }
    case 'nats': {
      const options = { servers: [address.url!] };
      return { kind, server: { transport: Transport.NATS, options }, client: { transport: Transport.NATS, options } };
    }
    case 'rmq': {
      const options = { urls: [address.url!], queue: `mk-test-${randomUUID()}`, queueOptions: { durable: false } };
      return { kind, server: { transport: Transport.RMQ, options }, client: { transport: Transport.RMQ, options } };
    }
  }
}

/**
 * A real @nestjs/microservices client that sends each message with the headers given for it, where
 * its transport carries them: Nest's packet metadata over TCP and Redis (set in the dispatch hook),
 * NATS message headers, AMQP message headers.
 */
export class TestRpcClient {
  private readonly pending = new AsyncLocalStorage<RpcHeaders>();
  readonly proxy: ClientProxy;

  constructor(private readonly endpoint: RpcEndpoint) {
    this.proxy = ClientProxyFactory.create(endpoint.client);
    if (endpoint.kind === 'tcp' || endpoint.kind === 'redis') {
      this.proxy.setOnDispatchHook((packet) => {
        const headers = this.pending.getStore();
        if (headers?.length) packet.metadata = Object.fromEntries(headers);
      });
    }
  }

  send<T = unknown>(pattern: unknown, data: unknown, headers: RpcHeaders = []): Promise<T> {
    return this.pending.run(headers, () => firstValueFrom(this.proxy.send<T>(pattern, this.wrap(data, headers))));
  }

  emit(pattern: unknown, data: unknown, headers: RpcHeaders = []): Promise<unknown> {
    return this.pending.run(headers, () => firstValueFrom(this.proxy.emit(pattern, this.wrap(data, headers)), { defaultValue: undefined }));
  }

  close(): Promise<void> {
    return this.proxy.close() as Promise<void>;
  }

  private wrap(data: unknown, headers: RpcHeaders): unknown {
    if (headers.length === 0) return data;
    if (this.endpoint.kind === 'nats') {
      const natsMessageHeaders = natsHeaders();
      for (const [name, value] of headers) natsMessageHeaders.append(name, value);
      return new NatsRecordBuilder(data).setHeaders(natsMessageHeaders).build();
    }
    if (this.endpoint.kind === 'rmq') return new RmqRecordBuilder(data).setOptions({ headers: Object.fromEntries(headers) }).build();
    return data;
  }
}

export const bearer = (token: string): RpcHeaders => [['authorization', `Bearer ${token}`]];
