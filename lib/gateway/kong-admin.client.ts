import type { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import { isAxiosError, type Method } from 'axios';
import type { ResolvedGatewayOptions } from '../config/resolved-gateway-options.js';
import { withRetries } from './retry-policy.js';

/** An answer of Kong's admin API that the caller did not expect, or no answer at all. */
export class KongAdminError extends Error {
  constructor(
    message: string,
    /** Undefined when Kong did not answer (unreachable, timed out). */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KongAdminError';
  }

  /** Unreachable, timed out, 5xx, 408 or 429: worth another try. Any other 4xx is not. */
  get retryable(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

export interface KongResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
}

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * Kong's admin API under the configured URL (path prefix kept) and headers. Each call is retried
 * with backoff while Kong is unreachable or failing, up to the registration's deadline.
 */
export class KongAdminClient {
  private readonly logger = new Logger('KongRegistration');

  constructor(
    private readonly http: HttpService,
    private readonly options: ResolvedGatewayOptions,
    private readonly deadlineAt: number,
    /** Told of each retry (telemetry). */
    private readonly onRetry: () => void = () => {},
  ) {}

  /**
   * Calls `method path`; 2xx and the `expected` statuses resolve, anything else rejects with a
   * KongAdminError carrying Kong's message.
   */
  call<T = Record<string, unknown>>(method: Method, path: string, body?: unknown, expected: number[] = []): Promise<KongResponse<T>> {
    return withRetries(
      () => this.once<T>(method, path, body, expected),
      (error) => error instanceof KongAdminError && error.retryable,
      this.options.retry,
      this.deadlineAt,
      (error, attempt, delay) => {
        this.onRetry();
        this.logger.warn(`${method} ${path}: ${(error as Error).message}; retry ${attempt} in ${delay} ms`);
      },
    );
  }

  private async once<T>(method: Method, path: string, body: unknown, expected: number[]): Promise<KongResponse<T>> {
    const remaining = this.deadlineAt - Date.now();
    if (remaining <= 0) throw new KongAdminError('the registration deadline has passed');
    let response;
    try {
      response = await this.http.axiosRef.request({
        method,
        url: `${this.options.adminUrl}${path}`,
        auth: this.options.adminAuth,
        data: body,
        headers: { ...this.options.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        timeout: Math.min(this.options.retry.requestTimeout, remaining),
        validateStatus: () => true,
        // Kong answers directly; a redirect would carry the admin token elsewhere.
        maxRedirects: 0,
      });
    } catch (error) {
      throw new KongAdminError(describeNetworkError(error));
    }
    const { status, data } = response;
    if ((status >= 200 && status < 300) || expected.includes(status)) return { status, body: data as T };
    throw new KongAdminError(`${method} ${path} answered ${status}: ${kongMessage(data)}`, status);
  }
}

function describeNetworkError(error: unknown): string {
  if (isAxiosError(error)) {
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') return 'Kong did not answer in time';
    if (error.code && NETWORK_ERRORS.has(error.code)) return `Kong is unreachable (${error.code})`;
    return error.message;
  }
  return String(error);
}

/** Kong 3.x says `message`; Kong 0.x often names the offending fields instead. */
export function kongMessage(body: unknown): string {
  if (typeof body === 'string') return body.trim().slice(0, 300) || 'no message';
  if (typeof body !== 'object' || body === null) return 'no message';
  const { message } = body as { message?: unknown };
  if (typeof message === 'string') return message;
  const fields = Object.entries(body).map(([field, problem]) => `${field}: ${typeof problem === 'string' ? problem : JSON.stringify(problem)}`);
  return fields.join('; ') || 'no message';
}
