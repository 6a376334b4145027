// A webhook receiver for Tandem: subscribes itself, verifies every delivery's Standard Webhooks
// signature with the `standardwebhooks` package, prints the event, and unsubscribes on Ctrl-C.
//
//   npm start                                   # in one terminal (the demo makes events)
//   TANDEM_TOKEN=<admin session or key> node examples/webhook-receiver.mjs
//
// Settings (environment): TANDEM_URL (default http://127.0.0.1:3000), TANDEM_TOKEN (required),
// PORT (default 4000), WORKFLOW (default: every workflow; leads must name one they lead),
// EVENT_TYPES (comma-separated, default decision.made,task.created).
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const tandem = process.env.TANDEM_URL ?? 'http://127.0.0.1:3000';
const token = process.env.TANDEM_TOKEN;
const port = Number(process.env.PORT ?? 4000);
if (!token) {
  console.error('set TANDEM_TOKEN: sign in (POST /v1/sessions) as an admin or lead and pass the token');
  process.exit(1);
}
const api = async (method, path, body) => {
  const res = await fetch(`${tandem}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
};

let webhook = null;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      // Throws unless one of the signatures matches and the timestamp is within 5 minutes.
      const event = webhook.verify(body, req.headers);
      console.log(`${req.headers['webhook-id']} ${event.type}`, JSON.stringify(event.data));
      // Answer fast (2xx); slow work belongs in your own queue. Retries reuse webhook-id: dedupe by it.
      res.writeHead(204).end();
    } catch (err) {
      console.error(`rejected a delivery: ${err.message}`);
      res.writeHead(400).end();
    }
  });
});
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));

const endpoint = await api('POST', '/v1/webhooks', {
  url: `http://127.0.0.1:${port}/`,
  ...(process.env.WORKFLOW ? { workflow: process.env.WORKFLOW } : {}),
  eventTypes: (process.env.EVENT_TYPES ?? 'decision.made,task.created').split(',').filter(Boolean),
  description: 'examples/webhook-receiver.mjs',
});
webhook = new Webhook(endpoint.secret);
console.log(`listening on http://127.0.0.1:${port}/ as webhook endpoint ${endpoint.id}; Ctrl-C to stop`);

process.once('SIGINT', async () => {
  await api('DELETE', `/v1/webhooks/${endpoint.id}`).catch((err) => console.error(err.message));
  server.close();
  process.exit(0);
});
