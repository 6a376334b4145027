// Checks a webhook delivery from Tandem as Standard Webhooks specifies: the HMAC-SHA256 signature
// of "webhook-id.webhook-timestamp.body" under the endpoint's whsec_ secret, and a timestamp
// within five minutes (no replays of old deliveries).
import { Webhook } from 'standardwebhooks';
import type { WebhookEvent } from './types.ts';

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * Returns the verified event, or throws (standardwebhooks' WebhookVerificationError) when the
 * signature, the timestamp or the headers are wrong. `payload` must be the raw body as received:
 * a body parsed and serialised again no longer matches its signature.
 */
export function verifyWebhook(payload: string | Uint8Array, headers: WebhookHeaders, secret: string): WebhookEvent {
  const body = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  return new Webhook(secret).verify(body, plainHeaders(headers)) as WebhookEvent;
}

function plainHeaders(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  const names = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
  for (const name of names) {
    const v = typeof (headers as Headers).get === 'function' ? (headers as Headers).get(name) : findHeader(headers as Record<string, string | string[] | undefined>, name);
    if (v !== null && v !== undefined) out[name] = v;
  }
  return out;
}

function findHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(' ') : v;
  return undefined;
}
