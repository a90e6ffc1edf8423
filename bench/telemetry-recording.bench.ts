import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, InMemorySpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { createSign, createVerify } from 'node:crypto';
import { bench, describe } from 'vitest';
import { Auth, TokenRefusal, type ResolvedMicrokubesOptions } from '../lib/index.js';
import { SecurityTelemetry } from '../lib/telemetry/security-telemetry.js';
import { rsaKeyPair } from '../lib/testing/index.js';

/**
 * What recording one call's authentication costs, in this process: with telemetry off, with the
 * API but no SDK, with the metrics SDK, and with the SDK and a recording span active; beside the
 * floor of a fresh token (one RS512 signature check), which every one is a fraction of.
 */
const options = { telemetry: { userIdOnSpans: false } } as ResolvedMicrokubesOptions;
const noSdk = await SecurityTelemetry.start(options);
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] }));
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: new InMemorySpanExporter() })] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const withSdk = await SecurityTelemetry.start(options);
const span = trace.getTracer('bench').startSpan('request');
const inSpan = trace.setSpan(context.active(), span);

const auth = new Auth({ userId: 'u1', username: 'ann@example.com', roles: ['user'], organizations: [], namespaces: [], scopes: ['api:read'], strategy: 'jwt', claims: {} });
const refusal = new TokenRefusal('token expired', 'expired').by('jwt');
const { privateKey, publicKey } = rsaKeyPair();
const data = Buffer.from('x'.repeat(600));
const signature = createSign('RSA-SHA512').update(data).sign(privateKey);

function record(telemetry: SecurityTelemetry): void {
  const startedAt = telemetry.startTime();
  telemetry.authenticated('http', auth, startedAt);
  telemetry.authorized('http', 'roles', true);
}

describe('telemetry: recording one call (an authentication and an access decision)', () => {
  bench('telemetry: false', () => record(SecurityTelemetry.off));
  bench('API installed, no SDK', () => record(noSdk));
  bench('metrics SDK, no active span', () => record(withSdk));
  bench('metrics SDK, a recording span active', () => context.with(inSpan, () => record(withSdk)));
  bench('a refusal, metrics SDK', () => withSdk.authenticated('http', refusal, withSdk.startTime()));
  bench('floor: one RS512 signature check', () => {
    createVerify('RSA-SHA512').update(data).verify(publicKey, signature);
  });
});
