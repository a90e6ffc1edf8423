import type { ExecutionContext } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { ResolvedSecurityOptions } from '../config/resolved-options.js';
import type { SamlServiceProvider } from '../saml/saml-service-provider.js';
import { GraphqlTransport } from './graphql.transport.js';
import { HttpTransport } from './http.transport.js';
import type { TransportAdapter } from './transport-adapter.js';

/**
 * The transports the guards know, by Nest's context type. HTTP and GraphQL need nothing beyond
 * Nest's core; WebSockets need @nestjs/websockets (for WsException), imported the first time a
 * gateway's message is guarded, and message handlers @nestjs/microservices, imported the first
 * time a message is. An unknown type (a custom one) has none: refused.
 */
export class Transports {
  private readonly http: HttpTransport;
  private readonly graphql: GraphqlTransport;
  private websocket?: Promise<TransportAdapter>;
  private rpc?: Promise<TransportAdapter>;

  constructor(
    private readonly security: ResolvedSecurityOptions,
    adapterHost: HttpAdapterHost,
    saml: SamlServiceProvider | null,
  ) {
    this.http = new HttpTransport(security, adapterHost, saml);
    this.graphql = new GraphqlTransport(security);
  }

  async for(context: ExecutionContext): Promise<TransportAdapter | undefined> {
    switch (context.getType<string>()) {
      case 'http':
        return this.http;
      case 'graphql':
        return this.graphql;
      case 'ws':
        this.websocket ??= import('./websocket.transport.js').then(({ WebSocketTransport }) => new WebSocketTransport(this.security));
        return this.websocket;
      case 'rpc':
        this.rpc ??= import('./rpc.transport.js').then(({ RpcTransport }) => new RpcTransport(this.security));
        return this.rpc;
      default:
        return undefined;
    }
  }
}
