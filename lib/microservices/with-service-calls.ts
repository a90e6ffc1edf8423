import { ClientNats, ClientRedis, ClientRMQ, ClientTCP, NatsRecord, NatsRecordBuilder, RmqRecord, type ClientProxy } from '@nestjs/microservices';
import { createRequire } from 'node:module';
import type { CallMode, HeaderTarget, ServiceCallHeaders, ServiceCalls } from '../calls/service-calls.js';
import { ServiceCallError } from '../calls/service-call.error.js';

/** NATS' own header objects (MsgHdrs), from the NATS client the app installed beside ClientNats. */
type NatsHeaders = HeaderTarget & { has(name: string): boolean };
let natsHeaders: (() => NatsHeaders) | undefined;

/**
 * Every message `client` sends (requests and events) carries the credentials of `mode` and an
 * `x-request-id`, where its transport carries headers: NATS message headers, AMQP message headers,
 * and Nest's packet `metadata` over TCP and Redis, which have none. The credentials are made when
 * each message is sent, in the call being handled (relay finds its caller there).
 *
 * ```ts
 * const orders = withServiceCalls(ClientProxyFactory.create({ transport: Transport.NATS, options }), serviceCalls, 'relay');
 * await firstValueFrom(orders.send('orders.get', id));
 * ```
 *
 * Other clients (Kafka, MQTT, custom ones) are refused here, rather than left sending no token.
 * For gRPC, set the headers on each call's metadata: `serviceCalls.applyTo(new Metadata(), 'relay')`.
 */
export function withServiceCalls<T extends ClientProxy>(client: T, calls: ServiceCalls, mode: CallMode): T {
  const attach = attacherFor(client);
  client.setOnDispatchHook((packet) => attach(packet, calls.headers(mode)));
  return client;
}

type Packet = { data: unknown; metadata?: Record<string, string> };

function attacherFor(client: ClientProxy): (packet: Packet, headers: ServiceCallHeaders) => void {
  if (client instanceof ClientTCP || client instanceof ClientRedis) {
    return (packet, headers) => {
      packet.metadata = { ...packet.metadata, ...headers };
    };
  }
  if (client instanceof ClientNats) {
    natsHeaders ??= (createRequire(import.meta.url)('@nats-io/transport-node') as { headers: () => NatsHeaders }).headers;
    const makeHeaders = natsHeaders;
    // A record is how a NATS message gets headers in Nest (packet metadata would travel in the body).
    return (packet, headers) => {
      const record = packet.data instanceof NatsRecord ? packet.data : new NatsRecordBuilder(packet.data).build();
      const target = (record.headers as NatsHeaders | undefined) ?? makeHeaders();
      for (const [name, value] of Object.entries(headers)) target.set(name, value);
      packet.data = new NatsRecordBuilder(record.data).setHeaders(target).build();
    };
  }
  if (client instanceof ClientRMQ) {
    return (packet, headers) => {
      const record = packet.data instanceof RmqRecord ? packet.data : new RmqRecord(packet.data, {});
      const options = record.options ?? {};
      packet.data = new RmqRecord(record.data, { ...options, headers: { ...(options.headers as Record<string, unknown> | undefined), ...headers } });
    };
  }
  throw new ServiceCallError(
    `withServiceCalls: a ${client.constructor.name} cannot carry the credentials (TCP, Redis, NATS and RabbitMQ clients can; for gRPC use serviceCalls.applyTo(metadata, mode))`,
  );
}
