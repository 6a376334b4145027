#!/usr/bin/env node
// A pocket OTLP/HTTP collector that prints the spans Tandem sends, so tracing can be tried without
// installing Jaeger or an OpenTelemetry Collector:
//
//   node examples/otlp-print.mjs                       # listens on http://127.0.0.1:4318
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 npm start
//
// then submit an item and answer it in the web app: one line per span, indented under its parent.
// It understands OTLP's JSON encoding (what Tandem's exporter sends), not protobuf.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

const port = Number(process.env.PORT ?? 4318);

function attributes(list = []) {
  return Object.fromEntries(list.map((a) => [a.key, Object.values(a.value ?? {})[0]]));
}

function print(body) {
  const spans = [];
  for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
  const ids = new Set(spans.map((s) => s.spanId));
  const depth = (s) => (s.parentSpanId && ids.has(s.parentSpanId) ? 1 + depth(spans.find((p) => p.spanId === s.parentSpanId)) : 0);
  for (const s of spans) {
    const ms = (Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) / 1e6).toFixed(1);
    const links = (s.links ?? []).map((l) => ` linked to trace ${l.traceId}`).join('');
    console.log(`${'  '.repeat(depth(s))}${s.name} ${ms} ms trace ${s.traceId}${links} ${JSON.stringify(attributes(s.attributes))}`);
  }
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/traces') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      const raw = Buffer.concat(chunks);
      print(JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } catch (err) {
      console.error(`not OTLP JSON: ${err.message}`);
      res.writeHead(400).end();
    }
  });
});
server.listen(port, '127.0.0.1', () => console.log(`OTLP/HTTP collector on http://127.0.0.1:${port}/v1/traces`));
process.on('SIGINT', () => server.close(() => process.exit(0)));
