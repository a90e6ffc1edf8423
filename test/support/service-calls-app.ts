import { Metadata } from '@grpc/grpc-js';
import { HttpModule, HttpService } from '@nestjs/axios';
import { Controller, Get, Headers, Inject, Module, Param, UseGuards, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { ClientProxyFactory, GrpcMethod, MessagePattern, Payload, Transport, type ClientGrpc, type ClientOptions, type ClientProxy } from '@nestjs/microservices';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, map, switchMap, type Observable } from 'rxjs';
import { Auth, CurrentAuth, currentCall, MicrokubesAuthGuard, Public, ServiceCalls, type CallMode, type MicrokubesModuleOptions } from '../../lib/index.js';
import { withServiceCalls } from '../../lib/microservices/index.js';

export const HELLO_PROTO = fileURLToPath(new URL('./hello.proto', import.meta.url));

/** What service B saw of a call: its caller, and the request id it came with. */
export interface Seen {
  userId: string;
  username: string;
  roles: string[];
  scopes: string[];
  iss?: unknown;
  jti?: unknown;
  requestId?: string;
}

const seen = (auth: Auth, requestId: string | undefined): Seen => ({
  userId: auth.userId,
  username: auth.username,
  roles: [...auth.roles],
  scopes: [...auth.scopes],
  iss: auth.claims.iss,
  jti: auth.claims.jti,
  requestId,
});

/** Service B over HTTP: who called, with which request id. */
@Controller()
@UseGuards(MicrokubesAuthGuard)
export class SeenController {
  @Get('seen')
  seen(@CurrentAuth() auth: Auth, @Headers('x-request-id') requestId?: string): Seen {
    return seen(auth, requestId);
  }
}

/** Service B over TCP, NATS and RabbitMQ (the request id from the call being handled) and gRPC. */
@Controller()
@UseGuards(MicrokubesAuthGuard)
export class SeenHandlers {
  @MessagePattern('seen')
  seen(@CurrentAuth() auth: Auth): Seen {
    return seen(auth, currentCall()?.requestId);
  }

  @GrpcMethod('HelloService', 'WhoAmI')
  whoAmI(@Payload() request: { tag: string }, @CurrentAuth() auth: Auth) {
    return { userId: auth.userId, roles: auth.roles.join(','), tag: JSON.stringify(seen(auth, currentCall()?.requestId)) };
  }
}

export type Via = 'http' | 'tcp' | 'nats' | 'rmq' | 'grpc';
export const VIAS: Via[] = ['http', 'tcp', 'nats', 'rmq', 'grpc'];

export interface ServiceB {
  http: string;
  tcp: ClientOptions;
  nats: ClientOptions;
  rmq: ClientOptions;
  grpc: string;
}

export const CLIENTS = Symbol('clients');
export type Clients = Record<'tcp' | 'nats' | 'rmq', Record<CallMode, ClientProxy>> & { grpc: ClientGrpc; chain: Record<'tcp' | 'nats', ClientProxy> };

interface HelloService {
  whoAmI(request: { tag: string }, metadata: Metadata): Observable<{ tag: string }>;
}

/** Service A: each route calls service B over one transport, relaying its caller or with its system token. */
@Controller()
@UseGuards(MicrokubesAuthGuard)
export class CallingController implements OnModuleInit {
  private hello!: HelloService;

  constructor(
    private readonly calls: ServiceCalls,
    private readonly http: HttpService,
    @Inject(CLIENTS) private readonly clients: Clients,
    @Inject('SERVICE_B_HTTP') private readonly serviceB: string,
  ) {}

  onModuleInit(): void {
    this.calls.useWith(this.http.axiosRef, 'relay', { origins: [this.serviceB] });
    this.hello = this.clients.grpc.getService<HelloService>('HelloService');
  }

  @Get('call/:mode/:via')
  call(@Param('mode') mode: CallMode, @Param('via') via: Via): Promise<Seen> {
    return this.callB(mode, via);
  }

  /** A route without a caller: relaying from it is refused, a system call is not. */
  @Get('public/:mode')
  @Public()
  async publicCall(@Param('mode') mode: CallMode): Promise<Seen | { error: string }> {
    try {
      return await this.callB(mode, 'tcp');
    } catch (error) {
      return { error: (error as Error).message };
    }
  }

  /** Two messages in a row, the second sent from an rxjs operator on the first's answer: both as this call's caller. */
  @Get('chain/:via')
  chain(@Param('via') via: 'tcp' | 'nats'): Promise<Seen[]> {
    const client = this.clients.chain[via];
    return firstValueFrom(client.send<Seen>('seen', {}).pipe(switchMap((first) => client.send<Seen>('seen', {}).pipe(map((second) => [first, second])))));
  }

  /** A message handler of A's own (over TCP) that calls B in turn: the caller is the message's. */
  @MessagePattern('forward')
  forward(@Payload() request: { mode: CallMode; via: Via }): Promise<Seen> {
    return this.callB(request.mode, request.via);
  }

  private async callB(mode: CallMode, via: Via): Promise<Seen> {
    // Across an await first, as real handlers do: the call is still found after it.
    await new Promise((resolve) => setImmediate(resolve));
    switch (via) {
      case 'http':
        return mode === 'relay'
          ? (await this.http.axiosRef.get<Seen>(`${this.serviceB}/seen`)).data
          : (await this.http.axiosRef.get<Seen>(`${this.serviceB}/seen`, { headers: { ...this.calls.headers('system') } })).data;
      case 'grpc': {
        const answer = await firstValueFrom(this.hello.whoAmI({ tag: '' }, this.calls.applyTo(new Metadata(), mode)));
        return JSON.parse(answer.tag) as Seen;
      }
      default:
        return firstValueFrom(this.clients[via][mode].send<Seen>('seen', {}));
    }
  }
}

/** Service A's module: the kit's module with `serviceCalls`, clients of B over every transport. */
export function serviceAModule(microkubes: DynamicModule, b: ServiceB): DynamicModule {
  @Module({})
  class ServiceAModule {}
  const proxy = (options: ClientOptions, calls: ServiceCalls, mode: CallMode) => withServiceCalls(ClientProxyFactory.create(options), calls, mode);
  return {
    module: ServiceAModule,
    imports: [microkubes, HttpModule.register({})],
    controllers: [CallingController],
    providers: [
      { provide: 'SERVICE_B_HTTP', useValue: b.http },
      {
        provide: CLIENTS,
        inject: [ServiceCalls],
        useFactory: (calls: ServiceCalls): Clients => ({
          tcp: { relay: proxy(b.tcp, calls, 'relay'), system: proxy(b.tcp, calls, 'system') },
          nats: { relay: proxy(b.nats, calls, 'relay'), system: proxy(b.nats, calls, 'system') },
          rmq: { relay: proxy(b.rmq, calls, 'relay'), system: proxy(b.rmq, calls, 'system') },
          // Used by the chain route only: first connected inside a call.
          chain: { tcp: proxy(b.tcp, calls, 'relay'), nats: proxy(b.nats, calls, 'relay') },
          grpc: ClientProxyFactory.create({ transport: Transport.GRPC, options: { package: 'hello', protoPath: HELLO_PROTO, url: b.grpc } }),
        }),
      },
    ],
  };
}

/** Closes service A's clients of B (Nest closes only the clients it creates itself). */
export async function closeClients(clients: Clients): Promise<void> {
  for (const via of ['tcp', 'nats', 'rmq', 'chain'] as const) for (const client of Object.values(clients[via])) await client.close();
  (clients.grpc as unknown as { close(): void }).close();
}

/** Options of service A: relay and system tokens, named as its Go counterparts name themselves. */
export const SERVICE_A_OPTIONS: MicrokubesModuleOptions = { serviceCalls: { serviceName: 'service-a' }, acl: { enforcePolicies: false } };
