// The model the surge simulator draws from by default: the built-in classifier trained on the
// demo's 4,000 labelled Banking77 messages, scored on its 1,000 unseen live messages. Each
// scored message keeps its text and the metadata the demo gives it, so the demo workflow's real
// rules (security-sensitive intents, "fraud" in the text, VIP customers) apply as they would live.
import { fileURLToPath } from 'node:url';
import type { ScoredItem } from '../core/simulation.ts';
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
  return { items, accuracy: items.filter((x) => x.correct).length / items.length, trainingSize: history.length };
}
