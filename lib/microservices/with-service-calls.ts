import { ClientNats, ClientRedis, ClientRMQ, ClientTCP, NatsRecord, NatsRecordBuilder, RmqRecord, type ClientProxy } from '@nestjs/microservices';
import { AsyncResource } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { CallMode, HeaderTarget, ServiceCallHeaders, ServiceCalls } from '../calls/service-calls.js';
import { outsideAnyCall } from '../calls/current-call.js';
import { ServiceCallError } from '../calls/service-call.error.js';

/** NATS' own header objects (MsgHdrs), from the NATS client the app installed beside ClientNats. */
interface NatsHeaders extends HeaderTarget {
  append(name: string, value: string): void;
  keys(): string[];
  values(name: string): string[];
}
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
  const internals = client as unknown as ClientInternals;
  // One hook per client in Nest: an app's own hook (tracing), set before or after, runs first.
  let theirs = internals.onDispatchHook;
  const ours = (packet: Packet) => {
    theirs?.(packet);
    attach(packet, calls.headers(mode));
  };
  internals.setOnDispatchHook(ours);
  internals.setOnDispatchHook = (hook) => {
    theirs = hook;
  };
  keepCallsApart(internals);
  return client;
}

/** What of a ClientProxy's protected members the credentials are wired into. */
interface ClientInternals {
  onDispatchHook?: (packet: Packet) => void;
  setOnDispatchHook(hook: (packet: Packet) => void): void;
  connect(): Promise<unknown>;
  publish(packet: unknown, callback: (answer: unknown) => void): () => void;
}

/**
 * The call a message is sent for must be the one its answer is handled in: Node runs a socket's
 * callbacks in the async context the socket was opened in, and Nest opens a client's connection
 * lazily, inside the first call that sends. Without this, the code that runs on an answer (an
 * rxjs operator sending the next message) would run as that first call, and relay its caller's
 * token for every later caller. So the connection is opened outside any call, and each answer is
 * delivered in the context of the call that sent its message.
 */
function keepCallsApart(client: ClientInternals): void {
  const connect = client.connect.bind(client);
  client.connect = () => outsideAnyCall(connect);
  const publish = client.publish.bind(client);
  client.publish = (packet, callback) => publish(packet, AsyncResource.bind(callback));
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
      // A copy: the app's own record (and its headers) is left as it was, without the token.
      const target = makeHeaders();
      const own = record.headers as NatsHeaders | undefined;
      for (const name of own?.keys() ?? []) for (const value of own!.values(name)) target.append(name, value);
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
