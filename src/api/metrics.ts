// Prometheus metrics at GET /metrics, in the text exposition format (prom-client).
//
// Two kinds of series, chosen per metric:
// - Read from the database when scraped (items, decisions, queues, SLA breaches, handle time,
//   model): the work they count is done by whichever process took the request or ran the
//   background job, so a count kept in one process's memory would be a fraction of the truth and
//   would restart at zero with it. Read from the database, every process reports the same
//   whole-database value; aggregate them across instances with max(), not sum(). Each is one
//   grouped statement, run only when scraped, never on the submit or answer path.
// - Kept in this process's memory (HTTP request duration, Node.js process figures): they
//   describe this process itself, and Prometheus adds them up across instances as usual.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricType } from 'prom-client';
import type { Queryable } from '../store/db.ts';
import {
  countDecisionsBySource, countItemsByRoute, countSlaBreaches, readHandleTimes, readQueueLoad, readServedModels, readWebhookLoad,
} from '../store/metrics.ts';

/** Upper bounds (seconds) of the task handle time buckets: a glance to a long investigation. */
export const handleTimeBuckets = [5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];
const httpBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type MetricValues = Awaited<ReturnType<Histogram<'workflow'>['get']>>;

/** A histogram whose buckets are counted by the database at scrape time instead of observed here. */
class HandleTimeHistogram extends Histogram<'workflow'> {
  readonly #db: Queryable;
  constructor(db: Queryable, registry: Registry) {
    super({ name: 'tandem_task_handle_seconds', help: 'Time reviewers spent on a task, from their answers', labelNames: ['workflow'], buckets: handleTimeBuckets, registers: [registry] });
    this.#db = db;
  }
  // prom-client renders a metric from getForPromString when it has one; get() goes through it too.
  async getForPromString(): Promise<MetricValues> {
    const rows = await readHandleTimes(this.#db, handleTimeBuckets.map((s) => s * 1000));
    const name = 'tandem_task_handle_seconds';
    const values: MetricValues['values'] = rows.flatMap((r) => [
      ...handleTimeBuckets.map((le, i) => ({ metricName: `${name}_bucket`, labels: { workflow: r.workflow, le } as { workflow: string }, value: r.buckets[i]! })),
      { metricName: `${name}_bucket`, labels: { workflow: r.workflow, le: '+Inf' } as { workflow: string }, value: r.count },
      { metricName: `${name}_sum`, labels: { workflow: r.workflow }, value: r.sum_seconds },
      { metricName: `${name}_count`, labels: { workflow: r.workflow }, value: r.count },
    ]);
    // prom-client's types declare MetricType a numeric enum; at run time (and in the exposition) it is this string.
    const type = 'histogram' as unknown as MetricType;
    return { name, help: 'Time reviewers spent on a task, from their answers', type, aggregator: 'sum', values, collect: () => undefined };
  }
}

export interface Metrics {
  /** The exposition text of this server's metrics and the process's. */
  render(): Promise<string>;
  contentType: string;
  /** Records one answered HTTP request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

// The process's own figures (memory, CPU, event loop lag) are collected once per process: each
// collection adds observers that nothing removes, and a test process builds many servers.
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function createMetrics(db: Queryable): Metrics {
  const registry = new Registry();

  new Counter({
    name: 'tandem_items_total', help: 'Items submitted, by workflow and route (auto, review, escalate)', labelNames: ['workflow', 'route'], registers: [registry],
    async collect() {
      const rows = await countItemsByRoute(db);
      this.reset();
      for (const r of rows) this.inc({ workflow: r.workflow, route: r.route }, r.n);
    },
  });
  new Counter({
    name: 'tandem_decisions_total', help: 'Decisions made, by workflow and source (machine, human, consensus, lead)', labelNames: ['workflow', 'source'], registers: [registry],
    async collect() {
      const rows = await countDecisionsBySource(db);
      this.reset();
      for (const r of rows) this.inc({ workflow: r.workflow, source: r.source }, r.n);
    },
  });
  new Counter({
    name: 'tandem_sla_breaches_total', help: 'Tasks that went past their due time (task.overdue events)', labelNames: ['workflow', 'queue'], registers: [registry],
    async collect() {
      const rows = await countSlaBreaches(db);
      this.reset();
      for (const r of rows) this.inc({ workflow: r.workflow, queue: r.queue }, r.n);
    },
  });

  // Queue depth and the oldest open task's age come from one statement, shared by both gauges.
  let queueLoad: ReturnType<typeof readQueueLoad> | null = null;
  const readLoadOnce = () => {
    queueLoad ??= readQueueLoad(db).finally(() => setTimeout(() => (queueLoad = null), 0));
    return queueLoad;
  };
  new Gauge({
    name: 'tandem_queue_tasks', help: 'Tasks waiting in a queue (open) or being worked (leased)', labelNames: ['workflow', 'queue', 'status'], registers: [registry],
    async collect() {
      const rows = await readLoadOnce();
      this.reset();
      for (const r of rows) {
        this.set({ workflow: r.workflow, queue: r.queue, status: 'open' }, r.open);
        this.set({ workflow: r.workflow, queue: r.queue, status: 'leased' }, r.leased);
      }
    },
  });
  new Gauge({
    name: 'tandem_queue_oldest_open_task_age_seconds', help: 'Age of the oldest open task of a queue; 0 when none is open', labelNames: ['workflow', 'queue'], registers: [registry],
    async collect() {
      const rows = await readLoadOnce();
      this.reset();
      for (const r of rows) this.set({ workflow: r.workflow, queue: r.queue }, r.oldest_open_seconds ?? 0);
    },
  });

  // Webhook delivery, per endpoint, from the delivery log: every process sends, so only the
  // database has the whole picture.
  let hooks: ReturnType<typeof readWebhookLoad> | null = null;
  const readHooksOnce = () => {
    hooks ??= readWebhookLoad(db).finally(() => setTimeout(() => (hooks = null), 0));
    return hooks;
  };
  new Gauge({
    name: 'tandem_webhook_deliveries', help: 'Webhook deliveries waiting to be sent (pending) or given up on (dead), by endpoint id', labelNames: ['endpoint', 'status'], registers: [registry],
    async collect() {
      const rows = await readHooksOnce();
      this.reset();
      for (const r of rows) {
        this.set({ endpoint: r.endpoint, status: 'pending' }, r.pending);
        this.set({ endpoint: r.endpoint, status: 'dead' }, r.dead);
      }
    },
  });
  new Gauge({
    name: 'tandem_webhook_delivery_lag_seconds', help: 'Age of the oldest webhook delivery still pending, by endpoint id; 0 when none is', labelNames: ['endpoint'], registers: [registry],
    async collect() {
      const rows = await readHooksOnce();
      this.reset();
      for (const r of rows) this.set({ endpoint: r.endpoint }, r.lag_seconds ?? 0);
    },
  });
  new Counter({
    name: 'tandem_webhook_failed_attempts_total', help: 'Webhook delivery attempts that did not deliver (error, timeout or non-2xx), by endpoint id', labelNames: ['endpoint'], registers: [registry],
    async collect() {
      const rows = await readHooksOnce();
      this.reset();
      for (const r of rows) this.inc({ endpoint: r.endpoint }, r.failed_attempts);
    },
  });

  let models: ReturnType<typeof readServedModels> | null = null;
  const readModelsOnce = () => {
    models ??= readServedModels(db).finally(() => setTimeout(() => (models = null), 0));
    return models;
  };
  new Gauge({
    name: 'tandem_model_version', help: 'Version of the model that serves a workflow', labelNames: ['workflow'], registers: [registry],
    async collect() {
      const rows = await readModelsOnce();
      this.reset();
      for (const r of rows) this.set({ workflow: r.workflow }, r.version);
    },
  });
  new Gauge({
    name: 'tandem_model_calibration_error', help: 'Expected calibration error (ECE) of the serving model on held-out examples', labelNames: ['workflow'], registers: [registry],
    async collect() {
      const rows = await readModelsOnce();
      this.reset();
      for (const r of rows) if (r.ece !== null) this.set({ workflow: r.workflow }, r.ece);
    },
  });

  new HandleTimeHistogram(db, registry);

  const http = new Histogram({
    name: 'tandem_http_request_duration_seconds', help: 'HTTP requests answered by this process, by route pattern and status',
    labelNames: ['method', 'route', 'status'], buckets: httpBuckets, registers: [registry],
  });
  const perProcess = processMetrics();
  return {
    render: async () => `${await registry.metrics()}\n${await perProcess.metrics()}`,
    contentType: registry.contentType,
    observeRequest: (method, route, status, seconds) => http.observe({ method, route, status }, seconds),
  };
}

export interface MetricsAccess {
  /** A bearer token that may scrape from anywhere; without one, only local unproxied requests may. */
  token?: string | undefined;
}

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Whether a request may read /metrics. The socket's own address decides, not request.ip: with
 * trustProxy, request.ip believes X-Forwarded-For, which any client can write. A request that came
 * through a proxy on this machine is not local either: it may come from anywhere.
 */
export function mayScrape(request: FastifyRequest, access: MetricsAccess): boolean {
  const header = request.headers.authorization;
  if (access.token && header) {
    const given = Buffer.from(header.replace(/^Bearer\s+/i, '').trim());
    const wanted = Buffer.from(access.token);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }
  const proxied = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
  return !proxied && loopback.has(request.socket.remoteAddress ?? '');
}

/** Times every request (the route's pattern, not its URL, so ids do not explode the series). */
export function timeRequests(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, access: MetricsAccess): void {
  app.get('/metrics', async (request, reply) => {
    if (!mayScrape(request, access)) {
      return reply.code(401).type('application/problem+json').header('www-authenticate', 'Bearer').send({
        type: 'https://tandem.dev/problems/401', title: 'Unauthorized', status: 401,
        detail: 'metrics are served to 127.0.0.1, or with the bearer token in TANDEM_METRICS_TOKEN', instance: request.url,
      });
    }
    return reply.type(metrics.contentType).send(await metrics.render());
  });
}
