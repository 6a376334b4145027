// The demo a newcomer sees on `npm start`: a `support-triage` workflow whose built-in model is
// warmed with 4,000 labelled Banking77 messages, then a slow trickle of unseen messages as live
// traffic — some decided by the machine at once, the rest queued for people, whose answers
// retrain the model.
import { fileURLToPath } from 'node:url';
import { importLabels } from '../engine/importLabels.ts';
import type { Engine } from '../engine/engine.ts';
import type { Principal } from '../engine/principals.ts';
import { retrainWorkflow } from '../engine/retrain.ts';
import { submitItem } from '../engine/submit.ts';
import { upsertWorkflow } from '../engine/workflows.ts';
import { startPeriodic, type Periodic } from '../engine/periodic.ts';
import { countItemsWithKeyPrefix } from '../store/items.ts';
import { readRows } from './tables.ts';
import { readWorkflowFile } from './workflowFiles.ts';
import { seedChatDemo } from './demoChat.ts';

const demoDir = fileURLToPath(new URL('../../demo/', import.meta.url));
const demoActor: Principal = { kind: 'key', id: 'demo', name: 'demo', role: 'admin', workflows: null };

export type Demo = Periodic;

export async function startDemo(engine: Engine, intervalMs: number, log: (line: string) => void): Promise<Demo> {
  const [spec] = readWorkflowFile(`${demoDir}support-triage.json`);
  if (!spec) throw new Error('the demo workflow file is empty');
  const state = await upsertWorkflow(engine.db, engine.workflows, spec);
  if (state === 'created') {
    const wf = await engine.workflows.get(engine.db, spec.name);
    const history = readRows(`${demoDir}banking77-history.csv`);
    const report = await importLabels(engine.db, wf, history, { text: 'text', label: 'category' });
    const trained = await retrainWorkflow(engine, spec.name, true);
    log(`demo: workflow ${spec.name} warmed with ${report.imported} labelled messages` +
      (trained.trained ? `; model v${trained.version.version} trained in ${trained.version.training_ms} ms (held-out accuracy ${fmt(trained.version.scores.accuracy)})` : ''));
  }
  // Not awaited: the chat demo trains its own model, and the server should not wait for it to start.
  void seedChatDemo(engine, log).catch((err: unknown) => log(`demo: the chat demo could not be set up: ${String(err)}`));
  const live = readRows(`${demoDir}banking77-live.csv`);
  let next = await countItemsWithKeyPrefix(engine.db, spec.name, 'demo-live-');
  if (next < live.length) log(`demo: live traffic, one message every ${intervalMs} ms (${live.length - next} to go; --no-demo turns it off)`);
  return startPeriodic(
    async () => {
      if (next >= live.length) return;
      const i = next++;
      const row = live[i]!;
      await submitItem(engine, demoActor, {
        workflow: spec.name,
        text: row.text,
        metadata: { channel: ['chat', 'email', 'app'][i % 3], segment: i % 7 === 0 ? 'vip' : 'standard' },
        idempotencyKey: `demo-live-${i}`,
      });
    },
    intervalMs,
    (err) => log(`demo: submit failed: ${String(err)}`),
  );
}

function fmt(x: unknown): string {
  return typeof x === 'number' ? x.toFixed(3) : 'n/a';
}
