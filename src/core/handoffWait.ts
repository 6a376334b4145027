// The wait a customer is told when a person takes over, labelled as an estimate: the people ahead
// in the queue times the mean handle time, shared among the agents at work; and, once the hand-off
// rate is measured, no less than the capacity planner's Erlang C mean wait at that rate — the
// queue may be short this second while the agents are nearly saturated.
import { erlangCPerformance } from './capacity.ts';

export interface WaitInput {
  /** Handoffs waiting for a person, this one included. */
  queued: number;
  meanHandleSeconds: number;
  /** Agents who worked this workflow lately; at least one is assumed. */
  activeAgents: number;
  /** Hand-offs to people per hour, measured lately; absent or 0 when not known. */
  arrivalsPerHour?: number;
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
  const backlog = Math.ceil(((queued - 1) * handle) / agents);
  const base = { queued, activeAgents: agents, meanHandleSeconds: Math.round(handle) };
  const rate = finite(input.arrivalsPerHour ?? 0, 0);
  if (rate > 0) {
    // Below saturation only: past it Erlang C has no steady state, and the backlog is the figure.
    const planned = erlangCPerformance(agents, { arrivalsPerHour: rate, handleSeconds: handle }, 0).expectedWaitSeconds;
    if (Number.isFinite(planned) && planned > backlog) {
      return { ...base, seconds: Math.ceil(planned), basis: `estimate: Erlang C mean wait at ${Math.round(rate)} hand-offs an hour and ${agents} active agent${agents === 1 ? '' : 's'}` };
    }
  }
  return { ...base, seconds: backlog, basis: 'estimate: waiting customers × mean handle time ÷ active agents' };
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
