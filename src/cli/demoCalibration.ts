// The model the surge simulator draws from by default: the built-in classifier trained on the
// demo's 4,000 labelled Banking77 messages, scored on its 1,000 unseen live messages. Each
// scored message keeps its text and the metadata the demo gives it, so the demo workflow's real
// rules (security-sensitive intents, "fraud" in the text, VIP customers) apply as they would live.
import { fileURLToPath } from 'node:url';
import type { ScoredItem } from '../core/simulation.ts';
import type { EvidenceItem } from '../core/thresholds.ts';
import { predict, train } from '../model/builtin/linear.ts';
import { readRows } from './tables.ts';
import { readWorkflowFile } from './workflowFiles.ts';

const demoDir = fileURLToPath(new URL('../../demo/', import.meta.url));

export function demoWorkflowSpec() {
  const [spec] = readWorkflowFile(`${demoDir}support-triage.json`);
  if (!spec) throw new Error('the demo workflow file is empty');
  return spec;
}

export interface DemoCalibration {
  items: ScoredItem[];
  /** What the engine would know of this model: its held-out outcomes and the scored live items. */
  evidence: EvidenceItem[];
  accuracy: number;
  trainingSize: number;
}

export function demoCalibration(): DemoCalibration {
  const history = readRows(`${demoDir}banking77-history.csv`).map((r) => ({ text: r.text!, label: r.category! }));
  const live = readRows(`${demoDir}banking77-live.csv`);
  const model = train(history);
  const items = live.map((row, i): ScoredItem => {
    const p = predict(model, row.text!);
    return {
      label: p.label,
      confidence: p.confidence,
      correct: p.label === row.category,
      coverage: p.coverage,
      text: row.text!,
      // As the demo's live traffic has them (src/cli/demo.ts).
      metadata: { channel: ['chat', 'email', 'app'][i % 3], segment: i % 7 === 0 ? 'vip' : 'standard' },
    };
  });
  const evidence: EvidenceItem[] = [
    ...(model.heldOutOutcomes ?? []),
    ...items.map((i) => ({ label: i.label!, confidence: i.confidence!, correct: i.correct })),
  ];
  return { items, evidence, accuracy: items.filter((x) => x.correct).length / items.length, trainingSize: history.length };
}

/** Informational intents of the demo: a wrong automatic answer costs a follow-up message, not money. */
export const demoLowRiskLabels = [
  'card_arrival', 'card_delivery_estimate', 'exchange_rate', 'fiat_currency_support', 'supported_cards_and_currencies', 'age_limit',
  'visa_or_mastercard', 'country_support', 'atm_support', 'top_up_limits', 'disposable_card_limits', 'getting_virtual_card',
  'get_physical_card', 'order_physical_card', 'getting_spare_card', 'apple_pay_or_google_pay', 'card_about_to_expire',
  'why_verify_identity', 'receiving_money', 'transfer_timing', 'exchange_via_app', 'card_acceptance',
];

/**
 * The surge policy the simulator gives the demo workflow, which declares none: first the
 * security-sensitive, fraud and VIP items go to the front, then the informational intents are
 * automated down to a 90 % accuracy floor (at most 0.2 below the usual threshold), then e-mail
 * waits until the surge is over.
 */
export function demoSurgeSpec(targetWaitSeconds: number): unknown {
  return {
    order: ['prioritize', 'lowerThresholds', 'defer'],
    targetWaitSeconds: Math.max(1, Math.round(targetWaitSeconds)),
    enterAt: 1,
    exitAt: 0.5,
    holdSeconds: 300,
    prioritize: { rules: ['security-sensitive intents', 'mentions fraud'], when: 'segment == "vip"', boost: 100 },
    lowerThresholds: { labels: demoLowRiskLabels, accuracyFloor: 0.9, maxDrop: 0.2, minKnown: 10 },
    defer: { when: 'channel == "email"' },
  };
}
