// The chat demo on `npm start`: a `support-chat` reply workflow on 12 Banking77 intents, its
// built-in intent model trained on their labelled messages from the demo history, and a small
// reply library (demo/support-chat-replies.json). Play customer at /demo/chat and agent in the
// workspace.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Engine } from '../engine/engine.ts';
import { importLabels } from '../engine/importLabels.ts';
import { seedLibrary } from '../engine/replyLibrary.ts';
import { retrainWorkflow } from '../engine/retrain.ts';
import { upsertWorkflow } from '../engine/workflows.ts';
import { readRows } from './tables.ts';
import { readWorkflowFile } from './workflowFiles.ts';
import { latestModelVersion } from '../store/modelVersions.ts';
import { listLibrary } from '../store/replyLibrary.ts';

const demoDir = fileURLToPath(new URL('../../demo/', import.meta.url));

const libraryFile = z.object({
  replies: z.array(z.object({ intent: z.string(), text: z.string(), messages: z.array(z.string()).min(1), uses: z.number().int().optional(), sentUnchanged: z.number().int().optional() }).strict()),
});

export async function seedChatDemo(engine: Engine, log: (line: string) => void): Promise<string> {
  const [spec] = readWorkflowFile(`${demoDir}support-chat.json`);
  if (!spec) throw new Error('the chat demo workflow file is empty');
  await upsertWorkflow(engine.db, engine.workflows, spec);
  const wf = await engine.workflows.get(engine.db, spec.name);
  // Each step is done unless its result is there, so a start interrupted half-way finishes next time.
  if (!(await latestModelVersion(engine.db, spec.name))) {
    const intents = new Set(spec.labels);
    const history = readRows(`${demoDir}banking77-history.csv`).filter((r) => intents.has(String(r.category)));
    const report = await importLabels(engine.db, wf, history, { text: 'text', label: 'category' });
    const trained = await retrainWorkflow(engine, spec.name, true);
    log(`demo: workflow ${spec.name}: intent model trained on ${report.imported} labelled messages${trained.trained ? ` (v${trained.version.version})` : ''}`);
  }
  if ((await listLibrary(engine.db, spec.name)).length === 0) {
    const library = libraryFile.parse(JSON.parse(readFileSync(`${demoDir}support-chat-replies.json`, 'utf8')));
    const seeded = await seedLibrary(engine, wf, library.replies);
    log(`demo: workflow ${spec.name}: ${seeded.added} approved replies in its library; chat as a customer at /demo/chat`);
  }
  return spec.name;
}
