// Spans for submit → decision. The tracer comes from the OpenTelemetry API: until `tandem serve`
// registers a provider (only when an OTLP endpoint is configured, see cli/tracing.ts) it is the
// API's no-op tracer, whose spans do not record, so every extra step below is skipped by checking
// `isRecording()` first. Parents are passed explicitly rather than through an async context
// manager, which would cost every request a hook even with tracing off.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type AttributeValue, type Context, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { version } from '../version.ts';

// Asked for per span rather than kept: the API's proxy tracer holds on to the first real tracer it
// meets, so a kept one would go on recording after `serve` stopped and unregistered its provider.
const tracer = () => trace.getTracer('tandem', version);

/** Runs `fn` inside a span named `name` (a child of `parent`, if given) and ends it, noting a failure. */
export async function inSpan<T>(
  name: string,
  options: { parent?: Span | undefined; attributes?: Attributes; links?: Link[]; kind?: SpanKind },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const ctx = options.parent ? trace.setSpan(contextRoot(), options.parent) : contextRoot();
  const span = tracer().startSpan(name, { attributes: options.attributes ?? {}, links: options.links ?? [], kind: options.kind ?? SpanKind.INTERNAL }, ctx);
  try {
    return await fn(span);
  } catch (err) {
    if (span.isRecording()) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    }
    throw err;
  } finally {
    span.end();
  }
}

/** A span that marks a moment (a decision), ended as soon as it starts. */
export function markSpan(name: string, options: { parent?: Span | undefined; attributes?: Attributes; links?: Link[] }): void {
  const ctx = options.parent ? trace.setSpan(contextRoot(), options.parent) : contextRoot();
  tracer().startSpan(name, { attributes: options.attributes ?? {}, links: options.links ?? [] }, ctx).end();
}

/** The attributes that have a value (a null confidence is left out rather than faked). */
export function present(attributes: Record<string, AttributeValue | null | undefined>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attributes)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** The span's W3C traceparent (`00-<trace id>-<span id>-<flags>`), or null when it does not record. */
export function traceParentOf(span: Span): string | null {
  if (!span.isRecording()) return null;
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A link to the span a traceparent names; none when it is missing or malformed. */
export function linksTo(traceParent: string | null, attributes: Attributes = {}): Link[] {
  const context = parseTraceParent(traceParent);
  return context ? [{ context, attributes }] : [];
}

export function parseTraceParent(traceParent: string | null): SpanContext | null {
  const m = traceParent === null ? null : /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceParent);
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return null;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16) & TraceFlags.SAMPLED, isRemote: true };
}

// Spans here are roots unless a parent is given: the request's own context (an HTTP
// instrumentation's span, say) is not consulted, so no context manager is needed.
function contextRoot(): Context {
  return ROOT_CONTEXT;
}
