// The wait a customer is told when a person takes over: a simple estimate, labelled as one —
// the people ahead in the queue times the mean handle time, shared among the agents at work.
// (An Erlang C figure from the capacity planner can replace it where staffing is planned.)

export interface WaitInput {
  /** Handoffs waiting for a person, this one included. */
  queued: number;
  meanHandleSeconds: number;
  /** Agents who worked this workflow lately; at least one is assumed. */
  activeAgents: number;
}

export interface WaitEstimate {
  seconds: number;
  queued: number;
  activeAgents: number;
  meanHandleSeconds: number;
  basis: string;
}

export function estimateWait(input: WaitInput): WaitEstimate {
  const queued = Math.max(1, Math.floor(finite(input.queued, 1)));
  const agents = Math.max(1, Math.floor(finite(input.activeAgents, 1)));
  const handle = Math.max(1, finite(input.meanHandleSeconds, 180));
  // The customer ahead of this one in each agent's line is served first; this one is next after them.
  const seconds = Math.ceil(((queued - 1) * handle) / agents);
  return { seconds, queued, activeAgents: agents, meanHandleSeconds: Math.round(handle), basis: 'estimate: waiting customers × mean handle time ÷ active agents' };
}

/** The wait in words a customer reads: "about 4 minutes", "less than a minute". */
export function waitText(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 6) / 10;
  return `about ${hours} hour${hours === 1 ? '' : 's'}`;
}

function finite(x: number, fallback: number): number {
  return Number.isFinite(x) ? x : fallback;
}
