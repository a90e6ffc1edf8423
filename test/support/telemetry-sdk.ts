import { context, metrics, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { DataPointType, MeterProvider, MetricReader, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** The metrics SDK's reader that keeps nothing itself: `collect()` reads the current values. */
export class InMemoryMetricReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One series as a test compares them: a counter's sum, a histogram's count (and sum), a gauge's value. */
export interface Series {
  name: string;
  unit: string;
  attributes: Attributes;
  value: number;
  sum?: number;
}

/** The real OpenTelemetry SDK, registered globally as an app's main.ts would, before the app is created. */
export interface InstalledSdk {
  reader: InMemoryMetricReader;
  spans: InMemorySpanExporter;
  provider: MeterProvider;
  /** Every series with the `microkubes.` prefix, now. */
  series(): Promise<Series[]>;
  uninstall(): Promise<void>;
}

export function installSdk(extraReaders: MetricReader[] = []): InstalledSdk {
  const reader = new InMemoryMetricReader();
  const provider = new MeterProvider({ readers: [reader, ...extraReaders] });
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!metrics.setGlobalMeterProvider(provider) || !trace.setGlobalTracerProvider(tracerProvider) || !context.setGlobalContextManager(contextManager)) {
    throw new Error('an OpenTelemetry SDK was registered already in this process');
  }
  return {
    reader,
    spans,
    provider,
    series: () => seriesOf(reader),
    async uninstall() {
      await provider.shutdown();
      await tracerProvider.shutdown();
      metrics.disable();
      trace.disable();
      context.disable();
    },
  };
}

export async function seriesOf(reader: MetricReader): Promise<Series[]> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw errors[0];
  const found: Series[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const { name, unit } = metric.descriptor;
      if (!name.startsWith('microkubes.')) continue;
      for (const point of metric.dataPoints) {
        if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const value = point.value as { count: number; sum?: number };
          found.push({ name, unit, attributes: point.attributes, value: value.count, sum: value.sum });
        } else {
          found.push({ name, unit, attributes: point.attributes, value: point.value as number });
        }
      }
    }
  }
  return found;
}

/** What changed between two readings: the series that grew (or appeared), with by how much. */
export function grown(before: Series[], after: Series[]): Series[] {
  const key = (series: Series) => `${series.name} ${JSON.stringify(Object.entries(series.attributes).sort())}`;
  const previous = new Map(before.map((series) => [key(series), series.value]));
  return after
    .map((series) => ({ ...series, value: series.value - (previous.get(key(series)) ?? 0) }))
    .filter((series) => series.value !== 0);
}

/** The series of one metric, by name. */
export const named = (all: Series[], name: string) => all.filter((series) => series.name === name);
