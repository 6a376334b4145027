// People see items with personal data masked; a lead may reveal one item's original input, and
// every reveal is written to the outbox (who, when, why) in the same transaction as nothing else:
// the event is the audit record.
import { maskPii, maskPiiDeep } from '../core/pii.ts';
import { insertEvents } from '../store/events.ts';
import type { ItemRow } from '../store/items.ts';
import type { Engine } from './engine.ts';
import { readItem } from './items.ts';
import { actorName, requireLead, type Principal } from './principals.ts';

export interface ItemInput {
  text: string | null;
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** True when personal data was masked for the caller. */
  masked: boolean;
}

/** Services (API keys) get the input as submitted; people get it masked. */
export function inputFor(principal: Principal, item: Pick<ItemRow, 'text' | 'fields' | 'metadata'>): ItemInput {
  if (principal.kind !== 'person') return { text: item.text, fields: item.fields, metadata: item.metadata, masked: false };
  return {
    text: item.text === null ? null : maskPii(item.text),
    fields: maskPiiDeep(item.fields) as Record<string, unknown>,
    metadata: keepIds(item.metadata, maskPiiDeep(item.metadata) as Record<string, unknown>),
    masked: true,
  };
}

export async function revealItem(engine: Engine, principal: Principal, itemId: string, reason: string): Promise<ItemInput> {
  const item = await readItem(engine, principal, itemId);
  requireLead(principal, item.workflow);
  await insertEvents(engine.db, [{ type: 'item.revealed', workflow: item.workflow, itemId: item.id, payload: { actor: actorName(principal), reason } }]);
  return { text: item.text, fields: item.fields, metadata: item.metadata, masked: false };
}

/** Tandem's own ids are not personal data, and a UUID's digit groups can look like a phone number. */
function keepIds(original: Record<string, unknown>, masked: Record<string, unknown>): Record<string, unknown> {
  const id = original.conversationId;
  return typeof id === 'string' ? { ...masked, conversationId: id } : masked;
}
