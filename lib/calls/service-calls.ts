import { Inject, Injectable, Optional } from '@nestjs/common';
import type { AxiosInstance } from 'axios';
import type { Auth } from '../auth/auth.js';
import type { ResolvedMicrokubesOptions } from '../config/resolved-options.js';
import { MICROKUBES_OPTIONS } from '../microkubes.constants.js';
import { presentedToken } from '../security/presented-tokens.js';
import { currentCall } from './current-call.js';
import { requestIdFor } from './request-id.js';
import { ServiceCallError } from './service-call.error.js';
import { SystemTokens } from './system-tokens.js';

/**
 * Whose credentials a call to another service carries:
 * - `relay`: the caller's own token, of the request, operation, socket or message being handled
 *   (found without passing it by hand). The other service sees the user, with the user's full
 *   rights: anything this service can be made to call, the user can reach through it.
 * - `system`: the service's system token (`userId`, `username` and `roles` "system", `scope`
 *   api:read), for calls the service makes on its own behalf, or that no user may make directly.
 */
export type CallMode = 'relay' | 'system';

/** The headers a call to another service carries. */
export interface ServiceCallHeaders {
  authorization: string;
  'x-request-id': string;
}

/** Something headers can be set on: @grpc/grpc-js' Metadata, NATS' MsgHdrs, a Headers object, axios' headers. */
export interface HeaderTarget {
  set(name: string, value: string): unknown;
}

export const SYSTEM_TOKENS = Symbol('microkubes system tokens');

/**
 * Credentials for the calls this service makes to others (`serviceCalls` option): the relayed
 * caller's token or the service's system token, and an `x-request-id` (the incoming one, or one
 * made for the call), as headers, on an axios instance, or on gRPC metadata. ClientProxy clients
 * take them through `withServiceCalls()` of `microkubes-nestjs/microservices`.
 */
@Injectable()
export class ServiceCalls {
  /** @internal Nest builds it: inject ServiceCalls. */
  constructor(
    @Optional() @Inject(MICROKUBES_OPTIONS) private readonly options?: ResolvedMicrokubesOptions,
    @Optional() @Inject(SYSTEM_TOKENS) private readonly systemTokens?: SystemTokens | null,
  ) {}

  /** The caller of the call being handled, if a guard authenticated one. */
  currentCaller(): Auth | undefined {
    return currentCall()?.auth;
  }

  /**
   * The headers a call made now carries; throws a ServiceCallError when it cannot carry `mode`'s
   * credentials. `caller` relays that caller (one a guard authenticated: an `Auth` of
   * `@CurrentAuth()`) instead of the current call's, where no call is current (a callback of a
   * pooled resource, a timer set up earlier).
   */
  headers(mode: CallMode, caller?: Auth): ServiceCallHeaders {
    const call = currentCall();
    return { authorization: `Bearer ${this.token(mode, caller ?? call?.auth)}`, 'x-request-id': call?.requestId ?? requestIdFor(undefined) };
  }

  /** Sets the headers on `target` (gRPC `Metadata`, say) and returns it. */
  applyTo<T extends HeaderTarget>(target: T, mode: CallMode, caller?: Auth): T {
    for (const [name, value] of Object.entries(this.headers(mode, caller))) target.set(name, value);
    return target;
  }

  /**
   * Every request of `instance` (an `HttpService`'s `axiosRef`) to one of `origins` carries the
   * headers, made when it is sent; a request that sets `Authorization` or `x-request-id` itself
   * keeps its own. Requests to any other origin get none: a token must not reach a webhook or a
   * URL of a caller's choosing. `origins` defaults to the instance's `baseURL`; without either,
   * this throws a ServiceCallError.
   */
  useWith<T extends AxiosInstance>(instance: T, mode: CallMode, options: { origins?: readonly string[] } = {}): T {
    const origins = new Set((options.origins ?? (instance.defaults.baseURL ? [instance.defaults.baseURL] : [])).map(originOf));
    if (origins.size === 0 || origins.has(undefined)) {
      throw new ServiceCallError('useWith: name the origins the credentials may go to ({ origins: ["http://kong:8000"] }), or give the axios instance a baseURL');
    }
    instance.interceptors.request.use((config) => {
      if (!origins.has(originOf(instance.getUri(config)))) return config;
      if (!config.headers.has('authorization')) config.headers.set('authorization', `Bearer ${this.token(mode, currentCall()?.auth)}`);
      if (!config.headers.has('x-request-id')) config.headers.set('x-request-id', currentCall()?.requestId ?? requestIdFor(undefined));
      return config;
    });
    return instance;
  }

  /** How many system tokens this process has signed (one per token lifetime, whatever the load). */
  get systemTokenSignatures(): number {
    return this.systemTokens?.signatures ?? 0;
  }

  private token(mode: CallMode, caller: Auth | undefined): string {
    if (!this.options?.serviceCalls) throw new ServiceCallError('serviceCalls is not configured: set MicrokubesModule option serviceCalls');
    if (mode === 'system') {
      if (!this.systemTokens) throw new ServiceCallError('system tokens are off (serviceCalls.systemKey: false)');
      return this.systemTokens.token();
    }
    if (!caller) {
      throw new ServiceCallError('no caller to relay: this code does not run in a call that MicrokubesAuthGuard authenticated (a @Public() route, a timer, start-up)');
    }
    const token = presentedToken(caller);
    if (!token) throw new ServiceCallError(`no token to relay: ${caller.username} signed in with a SAML session`);
    return token;
  }
}

/** `http://kong:8000` of `http://kong:8000/orders?x=1`; undefined for what is no absolute URL. */
function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
