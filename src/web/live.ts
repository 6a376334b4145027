// Server-Sent Events read with fetch, so that the session token goes in the Authorization header
// and never in a URL. Reconnects with backoff until stopped.
import { token } from './api.ts';

export type LiveHandler = (event: string, data: unknown) => void;

export function openLive(onEvent: LiveHandler, onState: (connected: boolean) => void): () => void {
  const controller = new AbortController();
  let delay = 500;
  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const t = token();
        if (!t) return;
        const res = await fetch('/v1/events/stream', { headers: { authorization: `Bearer ${t}` }, signal: controller.signal });
        if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
        onState(true);
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const chunk = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of chunk.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length > 0) onEvent(event, JSON.parse(data.join('\n')));
          }
        }
      } catch {
        // fall through to the reconnect below
      }
      if (controller.signal.aborted) return;
      onState(false);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  };
  void run();
  return () => controller.abort();
}
