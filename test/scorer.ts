// A local stand-in for an outside scoring model (the `http` model type): answers with the
// probabilities a test sets per text, or misbehaves on request (slow, 500, garbage).
import { createServer, type Server } from 'node:http';

export type ScorerBehaviour =
  | { kind: 'labels'; labels: Record<string, number>; explanation?: string[] }
  | { kind: 'status'; status: number }
  | { kind: 'garbage' }
  | { kind: 'slow'; ms: number };

export interface Scorer {
  url: string;
  /** Requests received, in order. */
  received: Array<{ text: string | null; labels: string[] }>;
  /** Behaviour for items whose text contains the key; `default` otherwise. */
  behave: Map<string, ScorerBehaviour>;
  close(): Promise<void>;
}

export async function startScorer(defaultBehaviour: ScorerBehaviour): Promise<Scorer> {
  const behave = new Map<string, ScorerBehaviour>([['default', defaultBehaviour]]);
  const received: Scorer['received'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { text: string | null; labels: string[] };
      received.push(parsed);
      const key = [...behave.keys()].find((k) => k !== 'default' && (parsed.text ?? '').includes(k));
      const b = behave.get(key ?? 'default')!;
      if (b.kind === 'labels') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ labels: b.labels, explanation: b.explanation ?? [] }));
      } else if (b.kind === 'status') {
        res.writeHead(b.status, { 'content-type': 'application/json' }).end('{"error":"boom"}');
      } else if (b.kind === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"labels": "certainly"}');
      } else {
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"labels":{"billing":1}}'), b.ms);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}/score`,
    received,
    behave,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
