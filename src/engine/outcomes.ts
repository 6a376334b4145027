// An answer's outcome as the workflow's answer type allows it. Checked before anything is written,
// with a problem that names the field.
import type { Draft, Outcome } from '../core/types.ts';
import type { CompiledWorkflow } from './workflows.ts';
import { invalid } from './errors.ts';

export interface RawOutcome {
  label?: string | undefined;
  verdict?: 'approve' | 'reject' | 'edit' | undefined;
  edited?: Record<string, unknown> | undefined;
  text?: string | undefined;
}

export function parseOutcome(wf: CompiledWorkflow, raw: RawOutcome): Outcome {
  switch (wf.spec.answerType) {
    case 'label': {
      if (raw.label === undefined) throw invalid('this workflow takes a label', [{ path: 'label', message: 'is required' }]);
      if (!wf.labels.includes(raw.label)) {
        throw invalid(`unknown label "${raw.label}"`, [{ path: 'label', message: `must be one of: ${wf.labels.join(', ')}` }]);
      }
      return { type: 'label', label: raw.label };
    }
    case 'approve': {
      if (raw.verdict === undefined) throw invalid('this workflow takes a verdict', [{ path: 'verdict', message: 'is required: approve, reject or edit' }]);
      if (raw.verdict === 'edit') {
        if (!raw.edited) throw invalid('an edit needs the edited payload', [{ path: 'edited', message: 'is required when verdict is "edit"' }]);
        const problems = wf.checkFields(raw.edited).map((p) => ({ ...p, path: p.path.replace(/^fields/, 'edited') }));
        if (problems.length > 0) throw invalid('the edited payload breaks the input schema', problems);
        return { type: 'approve', verdict: 'edit', edited: raw.edited };
      }
      return { type: 'approve', verdict: raw.verdict };
    }
    case 'text': {
      if (raw.text === undefined || raw.text.trim() === '') throw invalid('this workflow takes a text reply', [{ path: 'text', message: 'is required and may not be blank' }]);
      return { type: 'text', text: raw.text };
    }
    case 'reply': {
      if (raw.text === undefined || raw.text.trim() === '') throw invalid('this workflow takes the reply to send', [{ path: 'text', message: 'is required and may not be blank' }]);
      if (raw.label !== undefined && !wf.labels.includes(raw.label)) {
        throw invalid(`unknown intent "${raw.label}"`, [{ path: 'label', message: `must be one of the workflow's intents: ${wf.labels.slice(0, 20).join(', ')}${wf.labels.length > 20 ? ', …' : ''}` }]);
      }
      return { type: 'reply', text: raw.text, intent: raw.label ?? null };
    }
  }
}

/** The outcome a machine decision carries for a predicted label (a reply workflow's: the draft it sent). */
export function machineOutcome(wf: CompiledWorkflow, label: string, draft: Draft | null = null): Outcome {
  if (wf.spec.answerType === 'reply') {
    if (!draft) throw new Error('a reply is decided by the machine only with a draft (core/replyRoute.ts)');
    return { type: 'reply', text: draft.text, intent: label };
  }
  return wf.spec.answerType === 'approve'
    ? { type: 'approve', verdict: label === 'approve' ? 'approve' : 'reject' }
    : { type: 'label', label };
}
