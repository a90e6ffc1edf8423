import { headers as natsHeaders } from '@nats-io/transport-node';
import { ClientProxyFactory, NatsRecord, NatsRecordBuilder, RmqRecord, RmqRecordBuilder, Transport, type ClientProxy } from '@nestjs/microservices';
import { describe, expect, it } from 'vitest';
import { ServiceCallError, type ServiceCalls } from '../../../lib/index.js';
import { withServiceCalls } from '../../../lib/microservices/index.js';

const calls = { headers: () => ({ authorization: 'Bearer t', 'x-request-id': 'r-1' }) } as unknown as ServiceCalls;
/** The packet a client would send for `data`, dispatch hooks applied (Nest's own createPacket). */
const packetOf = (client: ClientProxy, data: unknown) => (client as unknown as { createPacket(pattern: string, data: unknown): { data: unknown; metadata?: Record<string, string> } }).createPacket('p', data);

describe('withServiceCalls', () => {
  it('puts the headers in the packet metadata over TCP, after a dispatch hook of the app set before or after', () => {
    const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { port: 1 } });
    client.setOnDispatchHook((packet) => (packet.metadata = { trace: 'before' }));
    withServiceCalls(client, calls, 'relay');
    expect(packetOf(client, 1).metadata).toEqual({ trace: 'before', authorization: 'Bearer t', 'x-request-id': 'r-1' });
    client.setOnDispatchHook((packet) => (packet.metadata = { trace: 'after', authorization: 'Bearer app' }));
    expect(packetOf(client, 1).metadata).toEqual({ trace: 'after', authorization: 'Bearer t', 'x-request-id': 'r-1' });
  });

  it("makes a NATS message a record with the headers, keeping the app's record and its headers as they were", () => {
    const client = withServiceCalls(ClientProxyFactory.create({ transport: Transport.NATS, options: {} }), calls, 'relay');
    const own = natsHeaders();
    own.set('x-tenant', 'acme');
    const record = new NatsRecordBuilder({ n: 1 }).setHeaders(own).build();
    const sent = packetOf(client, record).data as NatsRecord;
    expect(sent.data).toEqual({ n: 1 });
    const headers = sent.headers as unknown as { get(name: string): string };
    expect([headers.get('authorization'), headers.get('x-request-id'), headers.get('x-tenant')]).toEqual(['Bearer t', 'r-1', 'acme']);
    expect(own.has('authorization')).toBe(false);
    expect((packetOf(client, 5).data as NatsRecord).data).toBe(5);
  });

  it('adds AMQP headers, keeping a record of the app', () => {
    const client = withServiceCalls(ClientProxyFactory.create({ transport: Transport.RMQ, options: {} }), calls, 'system');
    const sent = packetOf(client, new RmqRecordBuilder('x').setOptions({ priority: 3, headers: { 'x-tenant': 'acme' } }).build()).data as RmqRecord;
    expect(sent.data).toBe('x');
    expect(sent.options).toEqual({ priority: 3, headers: { 'x-tenant': 'acme', authorization: 'Bearer t', 'x-request-id': 'r-1' } });
  });

  it('refuses a client it cannot put credentials on, rather than letting it send none', () => {
    const kafka = ClientProxyFactory.create({ transport: Transport.KAFKA, options: {} });
    expect(() => withServiceCalls(kafka as unknown as ClientProxy, calls, 'relay')).toThrow(ServiceCallError);
  });
});
