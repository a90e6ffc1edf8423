import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, InMemorySpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';

/**
 * The SDK as a service would run it: metrics kept for a Prometheus scrape (the exporter's server
 * not started: nothing scrapes the bench), a tracer provider and the AsyncLocalStorage context
 * manager. No HTTP instrumentation opens spans: what is measured is the module's own recording.
 */
export async function registerTelemetrySdk(): Promise<void> {
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] }));
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: new InMemorySpanExporter() })] }));
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}
