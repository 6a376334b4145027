// The HTTP edge: Fastify with the routes, body limit, per-key rate limit, and every error
// answered as application/problem+json.
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Engine } from '../engine/engine.ts';
import { buildOpenApi } from './openapi.ts';
import { answerFor, toProblem } from './problem.ts';
import { bearerToken, defineRoute, registerRoute, type RouteSpec } from './route.ts';
import { itemRoutes } from './routes/items.ts';
import { peopleRoutes } from './routes/people.ts';
import { taskRoutes } from './routes/tasks.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { modelRoutes } from './routes/models.ts';
import { version } from '../version.ts';
import { registerWebApp, sendWebApp, wantsWebApp } from './webApp.ts';
import { insightRoutes } from './routes/insight.ts';
import { liveStreamDoc, registerLiveStream } from './routes/live.ts';
import { createLiveFeed } from '../engine/liveFeed.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { createMetrics, registerMetricsRoute, timeRequests } from './metrics.ts';

export interface ServerOptions {
  /** Largest request body in bytes (default 256 KiB). */
  bodyLimit?: number;
  /** Requests per minute per API key or session (per address when anonymous); default 6000. */
  rateLimitPerMinute?: number;
  logger?: boolean;
  /** Bearer token that may read /metrics from anywhere; without it only 127.0.0.1 may. */
  metricsToken?: string | undefined;
}

export async function buildServer(engine: Engine, options: ServerOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? 256 * 1024;
  const app = Fastify({
    bodyLimit,
    logger: options.logger ? { level: 'warn' } : false,
    // Proxies and load balancers in front are expected; rate limits by address use the real one.
    trustProxy: true,
    return503OnClosing: true,
    forceCloseConnections: true,
    // Errors raised before routing (a malformed percent-escape, an over-long path parameter) are
    // otherwise answered in Fastify's own JSON shape, not as problem documents.
    frameworkErrors: (err, request, reply) => {
      const problem = toProblem(err, request.url, bodyLimit);
      // Fastify types this hook generically over the route's reply schema; there is none here.
      (reply as FastifyReply).code(problem.status).type('application/problem+json').send(problem);
    },
  });

  const metrics = createMetrics(engine.db);
  timeRequests(app, metrics);

  // The API speaks JSON only: a text/plain body is refused as 415 like any other media type.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err, request, reply) => {
    const { problem, retryAfterSeconds } = answerFor(err, request.url, bodyLimit);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    if (retryAfterSeconds !== null) reply.header('retry-after', String(retryAfterSeconds));
    reply.code(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    if (wantsWebApp(request)) return sendWebApp(reply);
    return reply.code(404).type('application/problem+json').send({
      type: 'https://tandem.dev/problems/404', title: 'Not found', status: 404,
      detail: `no route ${request.method} ${request.url.split('?')[0]}; see /v1/openapi.json`, instance: request.url,
    });
  });

  await app.register(rateLimit, {
    max: options.rateLimitPerMinute ?? 6000,
    timeWindow: 60_000,
    // The token itself is the key (it lives in this process's memory anyway): hashing it here
    // as well as for authentication was measurable on the hot path.
    keyGenerator: (request) => bearerToken(request) ?? request.ip,
  });

  const routes: RouteSpec[] = [...workflowRoutes, ...itemRoutes, ...taskRoutes, ...modelRoutes, ...peopleRoutes, ...insightRoutes, ...webhookRoutes, ...notificationRoutes, ...conversationRoutes];
  const openapi = buildOpenApi(
    [
      ...routes,
      liveStreamDoc,
      defineRoute({ method: 'GET', path: '/v1/openapi.json', tag: 'meta', auth: 'public', summary: 'OpenAPI document', responses: { 200: { description: 'This document' } }, handle: async () => ({ status: 200 }) }),
      defineRoute({ method: 'GET', path: '/metrics', tag: 'meta', auth: 'public', summary: 'Prometheus metrics', description: 'Text exposition format. Served to 127.0.0.1 without a proxy in between, or with the bearer token in TANDEM_METRICS_TOKEN.', responses: { 200: { description: 'Metrics' }, 401: { description: 'Neither local nor the metrics token' } }, handle: async () => ({ status: 200 }) }),
      defineRoute({ method: 'GET', path: '/healthz', tag: 'meta', auth: 'public', summary: 'Health check', description: '200 when the database answers, else 503 (problem+json, Retry-After). A read-only or full database still answers: writes then get their own 503.', responses: { 200: { description: 'Healthy' }, 503: { description: 'The database does not answer' } }, handle: async () => ({ status: 200 }) }),
    ],
    version,
  );
  for (const r of routes) registerRoute(app, engine, r);
  const feed = createLiveFeed(engine.db, { onError: (err) => app.log.error({ err }, 'live feed failed') });
  app.addHook('onClose', () => feed.close());
  registerLiveStream(app, engine, feed);
  registerMetricsRoute(app, metrics, { token: options.metricsToken });
  await registerWebApp(app);
  app.get('/v1/openapi.json', async () => openapi);
  app.get('/healthz', async (_request, reply) => {
    await engine.db.query('SELECT 1');
    return reply.send({ status: 'ok', database: engine.db.kind });
  });
  return app;
}
