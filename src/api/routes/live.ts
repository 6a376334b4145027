// GET /v1/events/stream: Server-Sent Events for the web app (queue depths, urgent new tasks).
// Authenticated like every route, with the Authorization header: the app reads the stream with
// fetch, so no token ever travels in a URL (where logs and history would keep it).
import type { FastifyInstance } from 'fastify';
import { unauthorized } from '../../engine/errors.ts';
import type { Engine } from '../../engine/engine.ts';
import type { LiveFeed, LiveMessage } from '../../engine/liveFeed.ts';
import { isLead, visibleWorkflows } from '../../engine/principals.ts';
import { bearerToken, defineRoute } from '../route.ts';

const path = '/v1/events/stream';

/** The stream's entry in the OpenAPI document (it is served by registerLiveStream, not a RouteSpec handler). */
export const liveStreamDoc = defineRoute({
  method: 'GET',
  path,
  tag: 'live',
  summary: 'Live updates (Server-Sent Events)',
  description:
    'A `text/event-stream` that stays open. `event: queues` with `{queues:[{workflow,queue,open,leased,oldestDueAt}]}` at once and whenever work changes (checked every second; after a count of a long queue, the next waits 50 times as long as it took, at most 30 s, and a new stream starts from the last count while it is that fresh); `event: urgent` with `{workflow,itemId,taskId,kind,queue,priority,createdAt}` for each new task with a raised priority, and each escalation (leads only); `event: handoff` with `{workflow,conversationId,itemId,route,reasons,waitSeconds,createdAt}` the moment a customer conversation is handed to a person (escalated ones to leads only). Only the caller\'s workflows. A comment line every 15 s keeps proxies from closing it. Send the token in the Authorization header (read it with fetch, not EventSource).',
  responses: { 200: { description: 'The event stream' } },
  handle: async () => ({ status: 200 }),
});

const frame = (m: LiveMessage) => {
  const { type, ...data } = m;
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
};

export function registerLiveStream(app: FastifyInstance, engine: Engine, feed: LiveFeed): void {
  app.get(path, async (request, reply) => {
    const token = bearerToken(request);
    if (!token) throw unauthorized('send "Authorization: Bearer <API key or session token>"');
    const principal = await engine.auth.authenticate(engine.db, token);
    const workflows = visibleWorkflows(principal);
    const res = reply.raw;
    // Subscribed before the stream opens: a database that cannot be read is still answered as a
    // problem (503), not with a stream that never says anything.
    const unsubscribe = await feed.subscribe({ workflows, lead: isLead(principal), send: (m) => res.headersSent && res.write(frame(m)) });
    reply.hijack();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-store', 'x-accel-buffering': 'no' });
    const first = await feed.snapshot(workflows).catch(() => []);
    res.write(frame({ type: 'queues', queues: first }));
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    keepAlive.unref();
    res.once('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  });
}
