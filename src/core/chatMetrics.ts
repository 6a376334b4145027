// What a lead reads about customer conversations: how many the bot settled alone, how many went
// to a person and why, how fast a person answered, how long a conversation took to resolve, what
// customers thought (thumbs up/down) per route and per intent, and how much agents changed the
// machine's drafts. Pure: the engine reads the rows, this adds them up.

export interface ConversationFacts {
  intent: string | null;
  customerMessages: number;
  botReplies: number;
  handoffs: number;
  handoffReasons: string[];
  rating: 'up' | 'down' | null;
  createdAt: Date;
  handedOffAt: Date | null;
  firstHumanAt: Date | null;
  closedAt: Date | null;
}

export interface DraftFacts {
  intent: string | null;
  action: 'sent' | 'edited' | 'rewritten' | 'written';
  rate: number | null;
}

export interface Durations {
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
  meanSeconds: number | null;
}

export interface Ratings {
  up: number;
  down: number;
  /** Share of thumbs up among the rated; null when none were rated. */
  upRate: number | null;
}

export interface DraftCounts {
  sent: number;
  edited: number;
  rewritten: number;
  /** Replies written where the machine had no draft. */
  written: number;
  /** Drafts sent unchanged, of all drafts a person acted on. */
  sentUnchangedRate: number | null;
  /** Drafts sent unchanged or lightly edited, of all drafts a person acted on. */
  acceptedRate: number | null;
  /** Mean edit rate (edit distance ÷ length) over the drafts a person acted on. */
  meanEditRate: number | null;
}

export interface ChatMetrics {
  conversations: number;
  /** Conversations with a customer message that the bot answered and no person had to. */
  automaticResolution: { count: number; rate: number | null };
  handoff: { count: number; rate: number | null; reasons: Array<{ reason: string; conversations: number }> };
  timeToFirstHuman: Durations;
  resolution: Durations;
  ratings: { byRoute: { bot: Ratings; human: Ratings }; byIntent: Array<{ intent: string } & Ratings> };
  drafts: DraftCounts & { byIntent: Array<{ intent: string } & DraftCounts> };
}

export function summariseChat(conversations: readonly ConversationFacts[], drafts: readonly DraftFacts[]): ChatMetrics {
  const engaged = conversations.filter((c) => c.customerMessages > 0);
  const auto = engaged.filter((c) => c.handoffs === 0 && c.botReplies > 0).length;
  const handed = engaged.filter((c) => c.handoffs > 0);
  const reasons = new Map<string, number>();
  for (const c of handed) for (const r of new Set(c.handoffReasons)) reasons.set(r, (reasons.get(r) ?? 0) + 1);

  const seconds = (a: Date | null, b: Date | null) => (a && b ? Math.max(0, (b.getTime() - a.getTime()) / 1000) : null);
  const firstHuman = handed.map((c) => seconds(c.handedOffAt, c.firstHumanAt)).filter((s): s is number => s !== null);
  const resolution = conversations.map((c) => seconds(c.createdAt, c.closedAt)).filter((s): s is number => s !== null);

  const rated = (cs: readonly ConversationFacts[]): Ratings => {
    const up = cs.filter((c) => c.rating === 'up').length;
    const down = cs.filter((c) => c.rating === 'down').length;
    return { up, down, upRate: up + down > 0 ? up / (up + down) : null };
  };
  const intents = [...new Set(conversations.filter((c) => c.rating !== null).map((c) => c.intent ?? '(none)'))].sort();

  const draftIntents = [...new Set(drafts.map((d) => d.intent ?? '(none)'))].sort();
  return {
    conversations: conversations.length,
    automaticResolution: { count: auto, rate: share(auto, engaged.length) },
    handoff: {
      count: handed.length,
      rate: share(handed.length, engaged.length),
      reasons: [...reasons].map(([reason, n]) => ({ reason, conversations: n })).sort((a, b) => b.conversations - a.conversations || a.reason.localeCompare(b.reason)),
    },
    timeToFirstHuman: durations(firstHuman),
    resolution: durations(resolution),
    ratings: {
      byRoute: { bot: rated(conversations.filter((c) => c.handoffs === 0)), human: rated(conversations.filter((c) => c.handoffs > 0)) },
      byIntent: intents.map((intent) => ({ intent, ...rated(conversations.filter((c) => (c.intent ?? '(none)') === intent)) })),
    },
    drafts: { ...countDrafts(drafts), byIntent: draftIntents.map((intent) => ({ intent, ...countDrafts(drafts.filter((d) => (d.intent ?? '(none)') === intent)) })) },
  };
}

function countDrafts(ds: readonly DraftFacts[]): DraftCounts {
  const n = (a: DraftFacts['action']) => ds.filter((d) => d.action === a).length;
  const sent = n('sent');
  const edited = n('edited');
  const rewritten = n('rewritten');
  const drafted = sent + edited + rewritten;
  const rates = ds.filter((d) => d.action !== 'written' && d.rate !== null && Number.isFinite(d.rate)).map((d) => d.rate as number);
  return {
    sent,
    edited,
    rewritten,
    written: n('written'),
    sentUnchangedRate: share(sent, drafted),
    acceptedRate: share(sent + edited, drafted),
    meanEditRate: rates.length > 0 ? rates.reduce((a, b) => a + b, 0) / rates.length : null,
  };
}

function durations(xs: number[]): Durations {
  if (xs.length === 0) return { count: 0, medianSeconds: null, p90Seconds: null, meanSeconds: null };
  const s = [...xs].sort((a, b) => a - b);
  return { count: s.length, medianSeconds: quantile(s, 0.5), p90Seconds: quantile(s, 0.9), meanSeconds: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Linear interpolation between closest ranks, on sorted input. */
function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

function share(n: number, of: number): number | null {
  return of > 0 ? n / of : null;
}
