// Seeding a reply workflow's library: replies a lead vouches for (from a help desk's macros, a
// workflow file, the demo), each with customer messages it answers, which retrieval compares new
// messages with. `uses` / `sentUnchanged` carry over a track record from elsewhere; without one a
// reply starts unproven and its drafts stay below the automatic-send threshold until agents have
// sent them unchanged (model/builtin/replies.ts).
import { addApprovedReply } from '../model/builtin/replies.ts';
import { listLibrary, lockLibraryEntry, saveLibraryEntry, type LibraryRow } from '../store/replyLibrary.ts';
import type { Engine } from './engine.ts';
import { invalid } from './errors.ts';
import type { CompiledWorkflow } from './workflows.ts';

export interface SeedReply {
  intent: string;
  text: string;
  messages: string[];
  uses?: number | undefined;
  sentUnchanged?: number | undefined;
}

export async function seedLibrary(engine: Engine, wf: CompiledWorkflow, replies: SeedReply[]): Promise<{ added: number; grown: number }> {
  if (wf.spec.answerType !== 'reply') throw invalid(`workflow "${wf.spec.name}" is not a reply workflow`, [{ path: 'name', message: 'answerType is not "reply"' }]);
  replies.forEach((r, i) => {
    if (!wf.labels.includes(r.intent)) throw invalid(`unknown intent "${r.intent}"`, [{ path: `replies.${i}.intent`, message: 'is not one of the workflow\'s labels' }]);
    if ((r.sentUnchanged ?? 0) > (r.uses ?? 0)) throw invalid('sentUnchanged may not exceed uses', [{ path: `replies.${i}.sentUnchanged`, message: 'is more than uses' }]);
  });
  let added = 0;
  let grown = 0;
  await engine.db.transaction(async (tx) => {
    for (const r of replies) {
      let library = { entries: [] as LibraryRow[] };
      let id: string | null = null;
      for (const message of r.messages) {
        const step = addApprovedReply(library, { intent: r.intent, message, text: r.text });
        if (step.id === null) continue;
        if (id === null) {
          const existing = await lockLibraryEntry(tx, wf.spec.name, step.id);
          if (existing) library = { entries: [existing] };
          id = step.id;
          const again = existing ? addApprovedReply(library, { intent: r.intent, message, text: r.text }) : step;
          library = again.library as typeof library;
          if (existing) grown++;
          else added++;
        } else {
          library = step.library as typeof library;
        }
      }
      const entry = library.entries.find((e) => e.id === id);
      if (entry) await saveLibraryEntry(tx, wf.spec.name, { ...entry, uses: r.uses ?? entry.uses, sentUnchanged: r.sentUnchanged ?? entry.sentUnchanged }, 'seed');
    }
  });
  engine.drafts.forget(wf.spec.name);
  return { added, grown };
}

export async function libraryOf(engine: Engine, wf: CompiledWorkflow): Promise<LibraryRow[]> {
  return listLibrary(engine.db, wf.spec.name);
}
