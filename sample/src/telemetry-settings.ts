import { context, metrics, trace } from '@opentelemetry/api';

/**
 * With `METRICS_PORT`: the OpenTelemetry SDK, registered as main.ts must, before the app is
 * created, with a Prometheus exporter serving `GET /metrics` on that port and a tracer provider
 * (spans go nowhere here: add your exporter). Off otherwise; the SDK is loaded only then. Returns
 * what shuts the SDK down.
 */
export async function startTelemetryFromEnvironment(env: NodeJS.ProcessEnv = process.env): Promise<(() => Promise<void>) | undefined> {
  if (!env.METRICS_PORT) return undefined;
  const [{ MeterProvider }, { PrometheusExporter }, { TracerProvider }, { AsyncLocalStorageContextManager }] = await Promise.all([
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/exporter-prometheus'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
  ]);
  const exporter = new PrometheusExporter({ host: env.METRICS_HOST ?? '0.0.0.0', port: Number(env.METRICS_PORT) });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const tracerProvider = new TracerProvider();
  metrics.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return async () => {
    await Promise.all([meterProvider.shutdown(), tracerProvider.shutdown()]);
    metrics.disable();
    trace.disable();
    context.disable();
  };
}
