// The routing signals of a customer message (core/conversationSignals.ts) as the reply route
// takes them: each with the route it asks for and a task priority, so an upset customer or a
// legal threat goes to the front of the line and onto the agents' live feed.
import { conversationSignals, DEFAULT_RISK_PHRASES, SIGNAL_ROUTES, type Contact, type ConversationReason } from '../core/conversationSignals.ts';
import type { RoutingSignal } from '../core/replyRoute.ts';
import { replySettings } from '../core/workflow.ts';
import type { CompiledWorkflow } from './workflows.ts';

/** What the conversation engine knows about the message's conversation when it submits it. */
export interface ConversationContext {
  id: string;
  customerId: string;
  /** The thread so far, oldest first. */
  history: Array<{ author: string; text: string }>;
  /** Earlier customer messages of this customer in the workflow (any conversation), with their intents. */
  contacts: Contact[];
}

/** A customer waiting in a live chat goes ahead of work that can wait (and shows on the live feed). */
export const livePriority = 5;

const priorities: Record<ConversationReason['code'], number> = {
  risk_words: 50,
  upset: 40,
  human_requested: 30,
  vip: 20,
  repeated_contact: 10,
};

function detail(r: ConversationReason): string {
  switch (r.code) {
    case 'upset':
      return `sentiment ${r.sentiment.toFixed(2)} at or below ${r.threshold}`;
    case 'risk_words':
      return r.words.map((w) => `"${w}"`).join(', ');
    case 'human_requested':
      return `asked for a person: "${r.phrase}"`;
    case 'repeated_contact':
      return `${r.contacts} contacts about ${r.intent} within ${r.windowHours} h`;
    case 'vip':
      return `segment ${r.segment}`;
  }
}

export function replySignals(
  wf: CompiledWorkflow,
  message: { text: string; intent: string | null; metadata: Record<string, unknown>; sentiment: number | null },
  context: ConversationContext | null,
): RoutingSignal[] {
  const settings = replySettings(wf.spec);
  const { reasons } = conversationSignals(
    {
      text: message.text,
      customerId: context?.customerId ?? '',
      conversationId: context?.id ?? '',
      intent: message.intent,
      at: Date.now(),
      metadata: message.metadata,
      sentiment: message.sentiment,
      history: context?.contacts ?? [],
    },
    {
      riskPhrases: [...DEFAULT_RISK_PHRASES, ...settings.riskWords],
      vipSegments: settings.vipSegments,
      repeatWindowHours: settings.repeatContactDays * 24,
      // Without a conversation there is no customer to have come back.
      disabled: context ? [] : ['repeated_contact'],
    },
  );
  return reasons.map((r) => ({ signal: r.code, detail: detail(r), route: SIGNAL_ROUTES[r.code] === 'escalate' ? 'escalate' : 'review', priority: priorities[r.code] }));
}
