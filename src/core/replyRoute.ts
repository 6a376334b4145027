// The route of a customer message in a reply workflow, on top of the policy's: the intent may be
// confident, but the reply goes out by itself only when the workflow allows automatic sending,
// there is a draft, and the draft is confident enough; a routing signal (an upset customer, a
// request for a person, risk words, VIP, repeated contact) sends it to a person whatever the draft.
// Pure, so the API's dry run and the engine agree, and every handoff names its reasons.
import type { Draft, Reason, Route } from './types.ts';
import type { ReplySpec } from './workflow.ts';

/** A reason from the conversation (core/conversationSignals) that a person should answer. */
export interface RoutingSignal {
  signal: string;
  detail: string;
  /** `escalate` sends the message to the escalation queue (a lead), `review` to any agent. */
  route: 'review' | 'escalate';
  /** Task priority it asks for: a raised priority puts the handoff at the front and on the agents' live feed. */
  priority: number;
}

export interface ReplyRouteInput {
  route: Route;
  draft: Draft | null;
  /** Why there is no draft, when there is none. */
  draftProblem?: string | undefined;
  settings: Pick<ReplySpec, 'autoSend' | 'autoSendThreshold'>;
  signals: RoutingSignal[];
  /** A customer is waiting in a live chat: a handoff gets at least this priority. */
  livePriority: number;
}

export function routeReply(input: ReplyRouteInput): Route {
  const { route, draft, settings } = input;
  const reasons: Reason[] = [...input.route.reasons];
  let kind = route.route;
  let priority = route.priority;
  const toPerson = () => {
    if (kind === 'auto') kind = 'review';
  };
  for (const s of input.signals) {
    reasons.push({ code: 'signal', signal: s.signal, detail: s.detail, priority: s.priority });
    toPerson();
    if (s.route === 'escalate') kind = 'escalate';
    priority = Math.max(priority, s.priority);
  }
  if (kind === 'auto') {
    if (!settings.autoSend) {
      reasons.push({ code: 'auto_send_off' });
      toPerson();
    } else if (draft === null) {
      reasons.push({ code: 'no_draft', message: input.draftProblem ?? 'no approved reply fits this intent yet' });
      toPerson();
    } else if (draft.confidence < settings.autoSendThreshold) {
      reasons.push({ code: 'draft_below_threshold', confidence: draft.confidence, threshold: settings.autoSendThreshold });
      toPerson();
    }
  }
  if (kind !== 'auto') priority = Math.max(priority, input.livePriority);
  // An audit samples automatic decisions only; a message sent to a person is not one.
  const audit = kind === 'auto' && route.audit;
  return {
    ...route,
    route: kind,
    audit,
    priority,
    reasons: audit ? reasons : reasons.filter((r) => r.code !== 'audit_sample'),
  };
}

/** The reason codes of a handoff, for the conversation's record and the metrics. */
export function handoffReasonCodes(route: Route): string[] {
  const codes = new Set<string>();
  for (const r of route.reasons) {
    if (r.code === 'confident' || r.code === 'audit_sample') continue;
    codes.add(r.code === 'signal' ? `signal:${r.signal}` : r.code === 'rule' ? `rule:${r.name}` : r.code);
  }
  return [...codes].sort();
}
