// The reviewer workspace and the lead's dashboard: static files that Vite built into dist/web,
// served by the same Fastify server as the API. Any GET outside /v1 that names no file gets the
// app's index.html (the app routes in the browser); /v1 keeps answering problem documents.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

/** dist/web from both src/api (tests under tsx) and dist/api (the built server). */
export const webRoot = fileURLToPath(new URL('../../dist/web/', import.meta.url));

// Item text is untrusted and React renders it as text; this policy is the second wall: no inline
// or foreign script can run even if some markup slipped through.
const securityHeaders: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

// The chat widget may be framed by any site (it holds no ambient authority: no cookies, only the
// token of the conversation it started itself); the rest of the policy is the app's.
const chatHeaders: Record<string, string> = {
  ...securityHeaders,
  'content-security-policy': securityHeaders['content-security-policy']!.replace("frame-ancestors 'none'", 'frame-ancestors *'),
};
delete chatHeaders['x-frame-options'];

export function webAppBuilt(root = webRoot): boolean {
  return existsSync(`${root}index.html`);
}

export async function registerWebApp(app: FastifyInstance, root = webRoot): Promise<void> {
  if (!webAppBuilt(root)) return;
  // The static handler answers a directory (`/`) with 403 when it has no index to serve.
  app.get('/', (_request, reply) => sendWebApp(reply, root));
  app.get('/demo/chat', (_request, reply) => {
    if (!existsSync(`${root}chat.html`)) return reply.code(503).type('text/plain; charset=utf-8').send('The chat widget is not built: run `npm run build`.\n');
    reply.headers({ ...chatHeaders, 'cache-control': 'no-cache' });
    return reply.type('text/html; charset=utf-8').send(readFileSync(`${root}chat.html`));
  });
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    dotfiles: 'ignore',
    cacheControl: false,
    setHeaders: (res, path) => {
      // Vite names every asset by its content hash: it can be cached for good.
      res.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      for (const [k, v] of Object.entries(securityHeaders)) res.header(k, v);
    },
  });
}

/** True when a request that found no route should get the app instead of a 404 problem. */
export function wantsWebApp(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '';
  return !path.startsWith('/v1/') && path !== '/v1' && path !== '/healthz' && !/\.[a-z0-9]+$/i.test(path);
}

export function sendWebApp(reply: FastifyReply, root = webRoot): FastifyReply {
  if (!webAppBuilt(root)) {
    return reply.code(503).type('text/plain; charset=utf-8').send('The web app is not built: run `npm run build`. The API is at /v1/openapi.json.\n');
  }
  reply.headers({ ...securityHeaders, 'cache-control': 'no-cache' });
  // Read on each request (it is small): a rebuild is served without a restart.
  return reply.type('text/html; charset=utf-8').send(readFileSync(`${root}index.html`));
}
