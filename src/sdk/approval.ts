// requireApproval: a function (an AI agent's tool, say) that runs only once a person approved
// the call. Calling the wrapped function files an item in an `approve` workflow with the
// arguments as its fields, waits for the decision, and then runs the function with the arguments
// as given (approve) or as the reviewer edited them (edit), or throws ApprovalRejectedError with
// the reviewer's reason (reject).
import type { Client } from './client.ts';
import type { Decision, Item } from './types.ts';

export type ToolArgs = Record<string, unknown>;

export interface ApprovalOptions<A extends ToolArgs> {
  client: Client;
  /** An approve workflow (answerType "approve"); its inputSchema, if any, checks the arguments and the edits. */
  workflow: string;
  /** Shown to the reviewer; the function's name by default. */
  name?: string;
  /** The item's text: by default "<name>(key: value, …)". */
  summary?: (args: A) => string;
  metadata?: (args: A) => Record<string, unknown>;
  /** How long to wait for the decision (default 10 minutes); then DecisionTimeoutError. */
  timeoutMs?: number;
  /**
   * A key per call: a retry of the same call (an agent that re-runs a step) finds the first
   * item and its decision instead of asking again. No key: every call asks anew.
   */
  idempotencyKey?: (args: A) => string | undefined;
  /** Seconds one long poll is held (see WaitOptions.pollSeconds). */
  pollSeconds?: number;
}

/** A person rejected the call; `reason` is what they wrote (their note), or the decision's reason. */
export class ApprovalRejectedError extends Error {
  override readonly name = 'ApprovalRejectedError';
  constructor(readonly reason: string, readonly itemId: string, readonly decision: Decision) {
    super(`rejected by a reviewer: ${reason}`);
  }
}

/** The wrapped function: same arguments and result, plus the wait for a person. */
export function requireApproval<A extends ToolArgs, R, Rest extends unknown[] = []>(
  fn: (args: A, ...rest: Rest) => R | Promise<R>,
  options: ApprovalOptions<A>,
): (args: A, ...rest: Rest) => Promise<R> {
  const name = options.name ?? (fn.name || 'action');
  const summary = options.summary ?? ((args: A) => `${name}(${describeArgs(args)})`);
  return async (args: A, ...rest: Rest): Promise<R> => {
    const key = options.idempotencyKey?.(args);
    const submitted = await options.client.submit(
      options.workflow,
      { text: summary(args), fields: args, metadata: { action: name, ...options.metadata?.(args) } },
      key !== undefined ? { idempotencyKey: key } : {},
    );
    const decision = await options.client.waitForDecision(submitted.id, {
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    });
    const o = decision.outcome;
    if (o.type !== 'approve') throw new Error(`workflow "${options.workflow}" is not an approve workflow (its decision is a ${o.type})`);
    if (o.verdict === 'approve') return fn(args, ...rest);
    if (o.verdict === 'edit') return fn(o.edited as A, ...rest);
    throw new ApprovalRejectedError(rejectionReason(await options.client.get(submitted.id), decision), submitted.id, decision);
  };
}

/**
 * The decision's reason says how it was made ("answered by a reviewer"); what the reviewer wrote
 * is the note on their rejecting answer. A lead's correction carries its reason in the decision.
 */
export function rejectionReason(item: Item, decision: Decision): string {
  if (decision.supersedes !== null) return decision.reason;
  const notes = item.answers.filter((a) => a.outcome.type === 'approve' && a.outcome.verdict === 'reject' && a.note);
  return notes[notes.length - 1]?.note ?? decision.reason;
}

function describeArgs(args: ToolArgs): string {
  return Object.entries(args)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}
