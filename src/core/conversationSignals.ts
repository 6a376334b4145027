// Routing signals from a customer message in its conversation: reasons why a person, not the bot,
// should answer it, each in the routing policy's reason shape ({ code, …detail }) so that the
// engine can append them to a route's reasons and the workspace can show them. Pure: the
// sentiment score and the customer's contact history are computed by the caller and passed in.
//
// API
//   conversationSignals(message, options?) → { reasons, route }
//     reasons: ConversationReason[] (human_requested | risk_words | repeated_contact | vip | upset)
//     route:   'escalate' | 'review' | null — what the signals alone ask for (see SIGNAL_ROUTES)
//   findHumanRequest(text) → the phrase that asks for a person, or null
//   findRiskWords(text, phrases = DEFAULT_RISK_PHRASES) → the risk phrases found
//   countRepeatedContacts(history, customerId, intent, conversationId, at, windowMs) → contacts
//   signalOptions: zod schema of the options (for a workflow spec to embed)
//
// Matching is on lower-cased word tokens, never on substrings: "sue" is not found in "issue" or
// "pursue", and "agent" alone does not ask for a person ("my travel agent booked it"); it does in
// "talk to an agent", "agent please" or a message that is only "agent".
import { z } from 'zod';
import type { RouteKind } from './types.ts';

export type ConversationReason =
  | { code: 'human_requested'; phrase: string }
  | { code: 'risk_words'; words: string[] }
  | { code: 'repeated_contact'; intent: string; contacts: number; windowHours: number }
  | { code: 'vip'; segment: string }
  | { code: 'upset'; sentiment: number; threshold: number };

export type ConversationSignal = ConversationReason['code'];

/**
 * Risk phrases by default: legal threats, fraud and disputes, leaving, and formal complaints — the
 * messages where a wrong automatic answer costs money or reputation. Multi-word phrases match as
 * consecutive words.
 */
export const DEFAULT_RISK_PHRASES: readonly string[] = [
  'lawyer',
  'lawyers',
  'attorney',
  'solicitor',
  'sue',
  'suing',
  'lawsuit',
  'legal action',
  'fraud',
  'fraudulent',
  'scam',
  'scammed',
  'chargeback',
  'charge back',
  'dispute the charge',
  'cancel my account',
  'close my account',
  'closing my account',
  'complaint',
  'formal complaint',
  'regulator',
  'ombudsman',
  'cfpb',
  'report you',
];

/** Where each signal sends the message when nothing else applies; a missing signal does not route. */
export const SIGNAL_ROUTES: Readonly<Record<ConversationSignal, RouteKind>> = {
  // An upset customer, a legal or fraud threat: a lead (or the most senior queue) at once.
  upset: 'escalate',
  risk_words: 'escalate',
  // The customer asked for a person, keeps coming back, or is a VIP: any agent, not the bot.
  human_requested: 'review',
  repeated_contact: 'review',
  vip: 'review',
};

export const signalOptions = z.object({
  /** Risk phrases (replace the default list). */
  riskPhrases: z.array(z.string().min(1)).default([...DEFAULT_RISK_PHRASES]),
  /**
   * Sentiment at or below this (in [-1, 1]) counts as upset. The default is model/sentiment.ts's
   * UPSET_BELOW: VADER flags about 5 % of routine Banking77 queries there (bench/README.md).
   */
  upsetBelow: z.number().min(-1).max(1).default(-0.5),
  /** Contacts (conversations, this one included) on the same intent within the window that make a repeat. */
  repeatContacts: z.number().int().min(2).default(2),
  /** Window for repeated contact; 7 days is the usual first-contact-resolution window. */
  repeatWindowHours: z.number().positive().default(168),
  /** Metadata key holding the customer segment. */
  segmentKey: z.string().min(1).default('segment'),
  /** Segments (case-insensitive) that are VIP. */
  vipSegments: z.array(z.string().min(1)).default(['vip']),
  /** Signals that are not used (e.g. ['vip'] for a workflow without segments). */
  disabled: z.array(z.enum(['human_requested', 'risk_words', 'repeated_contact', 'vip', 'upset'])).default([]),
});
export type SignalOptions = z.infer<typeof signalOptions>;
export type SignalOptionsInput = z.input<typeof signalOptions>;

/** One earlier customer message, from the store. */
export interface Contact {
  customerId: string;
  conversationId: string;
  /** Its predicted intent (label), or null. */
  intent: string | null;
  /** When it arrived, ms since the epoch. */
  at: number;
}

export interface CustomerMessage {
  text: string;
  customerId: string;
  conversationId: string;
  /** The predicted intent, or null when there is no usable prediction. */
  intent: string | null;
  /** When it arrived, ms since the epoch. */
  at: number;
  metadata: Record<string, unknown>;
  /** Sentiment in [-1, 1] (negative is upset), or null when not scored. */
  sentiment: number | null;
  /** Earlier messages of this customer (any conversation); others are ignored. */
  history: readonly Contact[];
}

export interface Signals {
  reasons: ConversationReason[];
  route: Extract<RouteKind, 'review' | 'escalate'> | null;
}

const WORD = /[\p{L}\p{N}]+(?:['\u2019][\p{L}\p{N}]+)*/gu;

function words(text: string): string[] {
  return (text.normalize('NFKC').toLowerCase().match(WORD) ?? []).map((w) => w.replace(/\u2019/g, "'"));
}

const PERSON =
  '(?:human|humans|person|people|agent|agents|representative|rep|operator|someone|somebody|anyone|anybody|staff|employee|supervisor|manager|customer\\sservice|customer\\ssupport|support\\steam)';
const ARTICLE = '(?:(?:a|an|the|one|some|your|a real|a live|an actual|real|live|actual)\\s)?';
// The end of a word that is not followed by more of it: "agent" but not "agent's".
const END = '(?=\\s|$)';
// Phrases over the normalised words joined by single spaces.
const HUMAN_PATTERNS: RegExp[] = [
  // talk to a person, speak with an agent, chat to someone
  new RegExp(`\\b(?:talk|talking|speak|speaking|chat|chatting)\\s(?:to|with)\\s${ARTICLE}${PERSON}${END}`),
  // connect / transfer / put me through to an agent
  new RegExp(`\\b(?:connect|escalate)\\s(?:me\\s|this\\s|us\\s)?(?:through\\s)?(?:to|with)\\s${ARTICLE}${PERSON}${END}`),
  // "transfer to someone" is a payment; "transfer me to someone" is not
  new RegExp(`\\b(?:transfer|put|pass|forward|get|send)\\s(?:me|this|us)\\s(?:through\\s|over\\s)?to\\s${ARTICLE}${PERSON}${END}`),
  // I want / need / would like a human
  new RegExp(`\\b(?:want|need|like|request|get|give\\sme|get\\sme)\\s${ARTICLE}(?:human|person|agent|representative|operator|supervisor|manager)${END}`),
  // is there a person / anyone real I can talk to
  new RegExp(`\\bis\\sthere\\s(?:a\\s|an\\s|any\\s)?(?:real\\s|live\\s|actual\\s)?(?:human|person|people|agent|representative|anyone\\sreal|someone\\sreal)${END}`),
  // a real person, a live agent, an actual human
  new RegExp(`\\b(?:real|live|actual)\\s(?:human|person|agent|representative|people)${END}`),
  // I don't want a bot, no more robots, stop the bot
  new RegExp(`\\b(?:don't\\swant|do\\snot\\swant|no\\smore|stop|enough|hate|not\\sanother|not\\stalking\\sto)\\s(?:(?:a|the|this|your|to\\stalk\\sto|talking\\sto)\\s){0,2}(?:bot|bots|robot|robots|chatbot)${END}`),
  new RegExp(`\\bhuman\\s(?:being|please|agent|support)${END}`),
];
// A message that is nothing but the request: "agent", "human please", "representative!!".
const ONLY_REQUEST = /^(?:(?:an?|the|get|speak|talk|to|me|please|pls|now|i\swant|need)\s)*(?:human|agent|representative|rep|operator|person|someone)(?:\s(?:please|pls|now))*$/;

/** The phrase of `text` that asks for a person (normalised to lower case), or null. */
export function findHumanRequest(text: string): string | null {
  // "person to person" names a kind of payment, not a request for one.
  const joined = words(text).join(' ').replace(/\bperson to person\b/g, 'p2p');
  if (joined.length === 0) return null;
  if (ONLY_REQUEST.test(joined)) return joined;
  for (const p of HUMAN_PATTERNS) {
    const m = p.exec(joined);
    if (m) return m[0];
  }
  return null;
}

/** The risk phrases (lower case, as listed) found in `text` as whole consecutive words, in list order. */
export function findRiskWords(text: string, phrases: readonly string[] = DEFAULT_RISK_PHRASES): string[] {
  const tokens = words(text);
  const found: string[] = [];
  const seen = new Set<string>();
  for (const phrase of phrases) {
    const p = words(phrase);
    const key = p.join(' ');
    if (p.length === 0 || seen.has(key)) continue;
    outer: for (let i = 0; i + p.length <= tokens.length; i++) {
      for (let k = 0; k < p.length; k++) if (tokens[i + k] !== p[k]) continue outer;
      seen.add(key);
      found.push(key);
      break;
    }
  }
  return found;
}

/**
 * Contacts by `customerId` on `intent` within `windowMs` before `at` (inclusive), counted as
 * distinct conversations, the current one included: several messages in one conversation are one
 * contact, not a repeat.
 */
export function countRepeatedContacts(
  history: readonly Contact[],
  customerId: string,
  intent: string,
  conversationId: string,
  at: number,
  windowMs: number,
): number {
  const conversations = new Set<string>([conversationId]);
  for (const h of history) {
    if (h.customerId !== customerId || h.intent !== intent) continue;
    if (h.at > at || h.at < at - windowMs) continue;
    conversations.add(h.conversationId);
  }
  return conversations.size;
}

function segmentOf(metadata: Record<string, unknown>, key: string): string | null {
  if (!Object.hasOwn(metadata, key)) return null;
  const v = metadata[key];
  return typeof v === 'string' ? v : null;
}

/** The signals of one customer message, in a fixed order: upset, risk, human request, repeat, VIP. */
export function conversationSignals(message: CustomerMessage, input: SignalOptionsInput = {}): Signals {
  const o = signalOptions.parse(input);
  const off = new Set(o.disabled);
  const reasons: ConversationReason[] = [];
  if (!off.has('upset') && message.sentiment !== null && Number.isFinite(message.sentiment) && message.sentiment <= o.upsetBelow) {
    reasons.push({ code: 'upset', sentiment: message.sentiment, threshold: o.upsetBelow });
  }
  if (!off.has('risk_words')) {
    const found = findRiskWords(message.text, o.riskPhrases);
    if (found.length > 0) reasons.push({ code: 'risk_words', words: found });
  }
  if (!off.has('human_requested')) {
    const phrase = findHumanRequest(message.text);
    if (phrase !== null) reasons.push({ code: 'human_requested', phrase });
  }
  if (!off.has('repeated_contact') && message.intent !== null) {
    const windowMs = o.repeatWindowHours * 3_600_000;
    const contacts = countRepeatedContacts(message.history, message.customerId, message.intent, message.conversationId, message.at, windowMs);
    if (contacts >= o.repeatContacts) {
      reasons.push({ code: 'repeated_contact', intent: message.intent, contacts, windowHours: o.repeatWindowHours });
    }
  }
  if (!off.has('vip')) {
    const segment = segmentOf(message.metadata, o.segmentKey);
    const vips = new Set(o.vipSegments.map((s) => s.toLowerCase()));
    if (segment !== null && vips.has(segment.toLowerCase())) reasons.push({ code: 'vip', segment });
  }
  let route: Signals['route'] = null;
  for (const r of reasons) {
    const to = SIGNAL_ROUTES[r.code];
    if (to === 'escalate') route = 'escalate';
    else if (route === null) route = 'review';
  }
  return { reasons, route };
}
