// OpenTelemetry for `tandem serve`: only when an OTLP endpoint is configured is a tracer
// provider registered (batch span processor, OTLP/HTTP exporter with JSON bodies); otherwise
// the engine's spans stay the API's no-ops (engine/tracing.ts).
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { version } from '../version.ts';

export interface Tracing {
  /** Where spans go (the traces URL). */
  url: string;
  /** Sends every finished span now (tests; before a planned stop). */
  flush(): Promise<void>;
  /** Flushes, then unregisters the provider so spans are no-ops again. */
  stop(): Promise<void>;
}

/**
 * The OTLP traces URL from the standard variables: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given,
 * else OTEL_EXPORTER_OTLP_ENDPOINT with `/v1/traces` appended (as the specification says).
 */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

export function startTracing(url: string, serviceName = 'tandem'): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: version }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  if (!trace.setGlobalTracerProvider(provider)) throw new Error('another tracer provider is registered in this process');
  let stopping: Promise<void> | null = null;
  return {
    url,
    flush: () => provider.forceFlush(),
    stop: () =>
      (stopping ??= (async () => {
        await provider.shutdown();
        trace.disable();
      })()),
  };
}
