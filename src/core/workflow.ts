// The workflow: one configured HITL process. The zod schema is the single source of truth for
// its shape; it validates at the edge (API, workflow files) and the rest of the code trusts the type.
import { z } from 'zod';
import { parseRule, type Rule } from './rules.ts';

export const answerTypes = ['label', 'approve', 'text', 'reply'] as const;
export type AnswerType = (typeof answerTypes)[number];

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" and "_", 1 to 63 characters, starting with a letter or digit');

const label = z.string().min(1).max(100);

export const ruleInput = z.union([
  z.string().min(1).max(500),
  z.object({
    when: z.string().min(1).max(500),
    action: z.enum(['review', 'escalate']).default('review'),
    name: z.string().max(100).optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    skills: z.array(z.string().min(1).max(50)).max(20).optional(),
  }),
]);

export const policySpec = z
  .object({
    /** Confidence at or above which the machine's label is taken without a person. */
    threshold: z.number().min(0).max(1).default(0.9),
    /** Per-label thresholds; a label absent here uses `threshold`. */
    labelThresholds: z.record(z.string(), z.number().min(0).max(1)).default({}),
    rules: z.array(ruleInput).max(100).default([]),
    /**
     * Items whose words the model mostly never saw in training (another language, gibberish, a
     * new kind of request) go to people whatever the confidence: below this share of known words.
     */
    minCoverage: z.number().min(0).max(1).default(0.6),
    /** Share of automatic decisions also sent to a person for audit. */
    auditRate: z.number().min(0).max(1).default(0),
    /** Seed for audit sampling; the same seed and item key always give the same sample. */
    seed: z.string().max(100).default('tandem'),
  })
  .strict();

export const modelSpec = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z
    .object({
      type: z.literal('builtin'),
      /** Retrain after this many new human labels. */
      retrainEvery: z.number().int().min(1).max(1_000_000).default(50),
      /** No model (everything to people) until this many labelled examples exist. */
      minExamples: z.number().int().min(2).max(1_000_000).default(20),
    })
    .strict(),
  z
    .object({
      type: z.literal('openai'),
      /** An OpenAI-compatible API, e.g. https://api.openai.com/v1 or a local server's /v1. */
      baseUrl: z.url({ protocol: /^https?$/ }),
      model: z.string().min(1).max(200),
      /** The environment variable holding the API key; the key itself is never stored. */
      apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).max(100).default('OPENAI_API_KEY'),
      timeoutMs: z.number().int().min(10).max(120_000).default(10_000),
    })
    .strict(),
  z
    .object({
      type: z.literal('http'),
      url: z.url({ protocol: /^https?$/ }),
      timeoutMs: z.number().int().min(10).max(60_000).default(2000),
    })
    .strict(),
]);

export const consensusSpec = z
  .object({
    /** Answers from distinct reviewers needed before a human decision is made. */
    answers: z.number().int().min(1).max(9).default(1),
    rule: z.enum(['majority', 'unanimous']).default('majority'),
    /**
     * Under majority, `gold`: each vote weighs by its reviewer's gold accuracy (core/consensus
     * voteWeight); `estimated`: by the confusion matrix Dawid–Skene last estimated for its reviewer
     * from overlapping answers (core/consensus estimatedVoteWeight, engine/reviewerEstimates).
     */
    weighting: z.enum(['equal', 'gold', 'estimated']).default('equal'),
  })
  .strict();

/**
 * Gold, training and qualification. Off by default: with no training or qualification items a
 * reviewer works live tasks at once, and with goldRate 0 no gold is mixed into the queue.
 */
export const qualitySpec = z
  .object({
    /** Share of a qualified reviewer's claims that are gold items, unannounced. */
    goldRate: z.number().min(0).max(1).default(0),
    /** Gold items a reviewer new to the workflow answers with feedback (right answer, note) first. */
    trainingItems: z.number().int().min(0).max(500).default(0),
    qualification: z
      .object({
        /** Gold items in the qualification test after training; 0 means no test. */
        items: z.number().int().min(0).max(500).default(0),
        /** Share of the test a reviewer must get right to work live tasks, 0 to 1. */
        passMark: z.number().min(0).max(1).default(0.8),
      })
      .strict()
      .default({ items: 0, passMark: 0.8 }),
    /** A reviewer whose running accuracy on live gold falls below this goes back to training; 0 never. */
    accuracyFloor: z.number().min(0).max(1).default(0),
    /** The running accuracy is over this many newest live gold answers… */
    accuracyWindow: z.number().int().min(1).max(1000).default(20),
    /** …and judged only once there are at least this many, so one slip is not a demotion. */
    minGoldAnswers: z.number().int().min(1).max(1000).default(5),
  })
  .strict();

export const queuesSpec = z
  .object({
    review: name.default('review'),
    escalation: name.default('escalation'),
  })
  .strict();

/** What a workflow does in a surge, one step at a time, in the order the lead declares. */
export const surgeActions = ['prioritize', 'lowerThresholds', 'defer', 'notify'] as const;
export type SurgeAction = (typeof surgeActions)[number];

/**
 * The surge policy (core/surge.ts): when the forecast wait for a new task reaches `enterAt` ×
 * the target, the next action of `order` is taken; when it falls to `exitAt` × the target, the
 * last one taken is reverted. The gap between the two, and `holdSeconds` between two changes,
 * keep it from flapping.
 */
export const surgeSpec = z
  .object({
    order: z.array(z.enum(surgeActions)).min(1).max(surgeActions.length),
    /** The wait the surge policy defends, in seconds; the workflow's slaSeconds when absent. */
    targetWaitSeconds: z.number().int().min(1).max(30 * 24 * 3600).optional(),
    enterAt: z.number().min(0.01).max(100).default(1),
    exitAt: z.number().min(0).max(100).default(0.5),
    holdSeconds: z.number().int().min(0).max(24 * 3600).default(60),
    /** Items matching any of these policy rules (by name) or `when` get `boost` more priority. */
    prioritize: z
      .object({
        rules: z.array(z.string().min(1).max(500)).max(100).default([]),
        when: z.string().min(1).max(500).optional(),
        boost: z.number().int().min(1).max(1000).default(100),
      })
      .strict()
      .optional(),
    /**
     * Lowers the thresholds of these labels only, never below the lowest threshold at which the
     * label's estimated accuracy (one-sided lower bound on known outcomes) is still `accuracyFloor`.
     */
    lowerThresholds: z
      .object({
        labels: z.array(label).min(1).max(1000),
        accuracyFloor: z.number().min(0.5).max(0.9999),
        /** Largest drop from the usual threshold, whatever the floor allows. */
        maxDrop: z.number().min(0).max(1).default(1),
        /** Known outcomes of a label, at or above a threshold, needed before it may be lowered there. */
        minKnown: z.number().int().min(1).max(100_000).default(10),
      })
      .strict()
      .optional(),
    /** New tasks of items matching `when` wait, unclaimable, until the surge reverts this step. */
    defer: z.object({ when: z.string().min(1).max(500) }).strict().optional(),
  })
  .strict();

/**
 * For answerType `reply` (customer conversations): the machine drafts a reply to each customer
 * message from the reply library (or the `openai` model), for the intent it predicts; a draft
 * goes out by itself only where `autoSend` allows it and it is confident enough.
 */
export const replySpec = z
  .object({
    /** Drafts at or above `autoSendThreshold` are sent to the customer without a person. */
    autoSend: z.boolean().default(false),
    autoSendThreshold: z.number().min(0).max(1).default(0.85),
    /** `library`: retrieve and adapt the best human-approved reply; `model`: the openai model writes it (with library examples). */
    drafter: z.enum(['library', 'model']).default('library'),
    /** A customer message longer than this is refused (400, with the limit in the message). */
    maxMessageChars: z.number().int().min(1).max(20_000).default(2000),
    /** Per conversation and per customer: at most `messages` customer messages in `perSeconds`. */
    rateLimit: z
      .object({ messages: z.number().int().min(1).max(1000).default(5), perSeconds: z.number().int().min(1).max(3600).default(10) })
      .strict()
      .default({ messages: 5, perSeconds: 10 }),
    /** Handle time per conversation until measured from answers, for the customer's wait estimate. */
    meanHandleSeconds: z.number().int().min(1).max(24 * 3600).default(180),
    /** Customer metadata `segment` values treated as VIP (a routing signal). */
    vipSegments: z.array(z.string().min(1).max(50)).max(20).default(['vip']),
    /** Words that send a message to a person whatever the draft (added to the built-in list). */
    riskWords: z.array(z.string().min(1).max(50)).max(200).default([]),
    /** A message sent again by the same customer within this many days counts as repeated contact. */
    repeatContactDays: z.number().int().min(1).max(365).default(7),
    /** Anyone may start a conversation at /v1/chat/{workflow}/conversations (the demo widget); else only an API key. */
    publicChat: z.boolean().default(false),
  })
  .strict();

const workflowSpecBase = z
  .object({
    name,
    description: z.string().max(2000).default(''),
    answerType: z.enum(answerTypes).default('label'),
    labels: z.array(label).max(1000).default([]),
    /** JSON Schema (draft 2020-12 subset understood by Ajv) for the item's structured fields. */
    inputSchema: z.record(z.string(), z.unknown()).optional(),
    model: modelSpec.default({ type: 'none' }),
    policy: policySpec.default(policySpec.parse({})),
    queues: queuesSpec.default(queuesSpec.parse({})),
    consensus: consensusSpec.default(consensusSpec.parse({})),
    quality: qualitySpec.default(qualitySpec.parse({})),
    /** Item metadata keys a lead may audit for bias (e.g. segment, language, channel, region). */
    auditableAttributes: z.array(z.string().min(1).max(100)).max(50).default([]),
    /**
     * The accuracy all final decisions must reach. When set, Tandem tunes the confidence
     * thresholds itself (the policy's own thresholds are then ignored) so that the estimate meets
     * it with the least human work, and sends everything to people while it cannot show that.
     */
    targetAccuracy: z.number().min(0.5).max(0.9999).optional(),
    /** How often one person is right, for the target-accuracy estimate (until measured). */
    reviewerAccuracy: z.number().min(0.5).max(1).default(0.98),
    /** Time a person has to settle a task, in seconds. */
    slaSeconds: z.number().int().min(1).max(30 * 24 * 3600).default(24 * 3600),
    /** What to do when the load outgrows the people; none when absent. */
    surge: surgeSpec.optional(),
    /** Reviewers do not see the machine's suggestion until they answered (against automation bias). */
    blindMode: z.boolean().default(false),
    /** Reply workflows only; absent means the defaults. */
    reply: replySpec.optional(),
    /** For the lead's dashboard: what an hour of review and one wrong decision cost. */
    costs: z
      .object({
        reviewerPerHour: z.number().min(0).max(1_000_000).default(0),
        errorCost: z.number().min(0).max(1_000_000_000).default(0),
        currency: z.string().min(1).max(10).default('USD'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const workflowSpec = workflowSpecBase.superRefine((spec, ctx) => {
  if (spec.answerType === 'label' && spec.labels.length < 2) {
    ctx.addIssue({ code: 'custom', path: ['labels'], message: 'a label workflow needs at least two labels' });
  }
  if (spec.answerType !== 'label' && spec.answerType !== 'reply' && spec.labels.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['labels'], message: `labels are only for answerType "label" (and the intents of "reply"); "${spec.answerType}" has fixed outcomes` });
  }
  if (spec.reply !== undefined && spec.answerType !== 'reply') {
    ctx.addIssue({ code: 'custom', path: ['reply'], message: 'reply settings are only for answerType "reply"' });
  }
  if (spec.answerType === 'reply') {
    if (spec.consensus.answers > 1) ctx.addIssue({ code: 'custom', path: ['consensus', 'answers'], message: 'a reply is sent by one agent; use answers: 1' });
    if (spec.model.type !== 'none' && spec.labels.length < 2) ctx.addIssue({ code: 'custom', path: ['labels'], message: 'a reply workflow with a model needs at least two intents (labels) to predict' });
    if (spec.reply?.drafter === 'model' && spec.model.type !== 'openai') ctx.addIssue({ code: 'custom', path: ['reply', 'drafter'], message: 'drafter "model" needs model type "openai"' });
  }
  if (new Set(spec.labels).size !== spec.labels.length) {
    ctx.addIssue({ code: 'custom', path: ['labels'], message: 'labels must be unique' });
  }
  if (spec.answerType === 'text' && spec.consensus.answers > 1) {
    ctx.addIssue({ code: 'custom', path: ['consensus', 'answers'], message: 'free-text answers cannot be put to a vote; use answers: 1' });
  }
  if (spec.answerType === 'text' && spec.model.type !== 'none') {
    ctx.addIssue({ code: 'custom', path: ['model'], message: 'a text workflow has no labels for a model to score; use model type "none"' });
  }
  const known = new Set(outcomeLabels(spec));
  for (const l of Object.keys(spec.policy.labelThresholds)) {
    if (!known.has(l)) ctx.addIssue({ code: 'custom', path: ['policy', 'labelThresholds', l], message: `unknown label "${l}"` });
  }
  spec.policy.rules.forEach((r, i) => {
    const parsed = parseRule(typeof r === 'string' ? r : r.when);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', path: ['policy', 'rules', i], message: parsed.error });
  });
  const q = spec.quality;
  const gated = q.trainingItems > 0 || q.qualification.items > 0;
  if ((gated || q.goldRate > 0) && (spec.answerType === 'text' || spec.answerType === 'reply')) {
    ctx.addIssue({ code: 'custom', path: ['quality'], message: 'gold needs a right answer to score against; free-text workflows have none' });
  }
  if (q.accuracyFloor > 0 && !gated) {
    ctx.addIssue({ code: 'custom', path: ['quality', 'accuracyFloor'], message: 'a reviewer below the floor goes back to training: set trainingItems or qualification.items too' });
  }
  if (new Set(spec.auditableAttributes).size !== spec.auditableAttributes.length) {
    ctx.addIssue({ code: 'custom', path: ['auditableAttributes'], message: 'attributes must be unique' });
  }
  if (spec.surge) checkSurge(spec, ctx);
  if (spec.queues.review === spec.queues.escalation) {
    ctx.addIssue({ code: 'custom', path: ['queues'], message: 'review and escalation queues must differ' });
  }
});

function checkSurge(spec: z.output<typeof workflowSpecBase>, ctx: z.RefinementCtx): void {
  const surge = spec.surge!;
  const at = (...path: Array<string | number>) => ['surge', ...path];
  if (new Set(surge.order).size !== surge.order.length) {
    ctx.addIssue({ code: 'custom', path: at('order'), message: 'each action may appear once in the order' });
  }
  if (!(surge.exitAt < surge.enterAt)) {
    ctx.addIssue({ code: 'custom', path: at('exitAt'), message: `exitAt (${surge.exitAt}) must be below enterAt (${surge.enterAt}), or the surge would flap` });
  }
  for (const action of ['prioritize', 'lowerThresholds', 'defer'] as const) {
    const inOrder = surge.order.includes(action);
    if (inOrder && !surge[action]) ctx.addIssue({ code: 'custom', path: at(action), message: `"${action}" is in the order: describe it in surge.${action}` });
    if (!inOrder && surge[action]) ctx.addIssue({ code: 'custom', path: at('order'), message: `surge.${action} is described but "${action}" is not in the order` });
  }
  const p = surge.prioritize;
  if (p) {
    if (p.rules.length === 0 && p.when === undefined) {
      ctx.addIssue({ code: 'custom', path: at('prioritize'), message: 'name policy rules in "rules" or give a condition in "when"' });
    }
    const names = new Set(spec.policy.rules.map((r) => (typeof r === 'string' ? r : (r.name ?? r.when))));
    p.rules.forEach((r, i) => {
      if (!names.has(r)) ctx.addIssue({ code: 'custom', path: at('prioritize', 'rules', i), message: `no policy rule is named "${r}"` });
    });
    if (p.when !== undefined) {
      const parsed = parseRule(p.when);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', path: at('prioritize', 'when'), message: parsed.error });
    }
  }
  const lt = surge.lowerThresholds;
  if (lt) {
    const known = new Set(outcomeLabels(spec));
    if (known.size === 0) ctx.addIssue({ code: 'custom', path: at('lowerThresholds'), message: `a "${spec.answerType}" workflow has no labels to lower thresholds for` });
    else {
      lt.labels.forEach((l, i) => {
        if (!known.has(l)) ctx.addIssue({ code: 'custom', path: at('lowerThresholds', 'labels', i), message: `unknown label "${l}"` });
      });
    }
    if (new Set(lt.labels).size !== lt.labels.length) ctx.addIssue({ code: 'custom', path: at('lowerThresholds', 'labels'), message: 'labels must be unique' });
    if (known.size > 0 && lt.labels.length >= known.size) {
      ctx.addIssue({ code: 'custom', path: at('lowerThresholds', 'labels'), message: 'list only the low-risk labels: at least one label must keep its threshold' });
    }
  }
  if (surge.defer) {
    const parsed = parseRule(surge.defer.when);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', path: at('defer', 'when'), message: parsed.error });
  }
}

export type WorkflowSpecInput = z.input<typeof workflowSpec>;
export type WorkflowSpec = z.output<typeof workflowSpec>;
export type ModelSpec = WorkflowSpec['model'];
export type PolicySpec = WorkflowSpec['policy'];
export type QualitySpec = WorkflowSpec['quality'];
export type SurgeSpec = NonNullable<WorkflowSpec['surge']>;
export type ReplySpec = z.output<typeof replySpec>;

/** A reply workflow's settings, its defaults filled in. */
export function replySettings(spec: Pick<WorkflowSpec, 'reply'>): ReplySpec {
  return spec.reply ?? replySpec.parse({});
}

/** A rule as the policy evaluates it: parsed once when the workflow is loaded. */
export interface CompiledRule {
  source: string;
  name: string;
  action: 'review' | 'escalate';
  priority: number;
  skills: string[];
  rule: Rule;
}

/** The outcomes a machine may predict and a person may choose, by answer type. */
export function outcomeLabels(spec: Pick<WorkflowSpec, 'answerType' | 'labels'>): string[] {
  if (spec.answerType === 'label') return spec.labels;
  if (spec.answerType === 'approve') return ['approve', 'reject'];
  // A reply workflow's model predicts the intent; the reply itself is free text.
  if (spec.answerType === 'reply') return spec.labels;
  return [];
}

export function compileRules(policy: PolicySpec): CompiledRule[] {
  return policy.rules.map((r) => {
    const source = typeof r === 'string' ? r : r.when;
    const parsed = parseRule(source);
    if (!parsed.ok) throw new Error(`invalid rule "${source}": ${parsed.error}`);
    return typeof r === 'string'
      ? { source, name: source, action: 'review', priority: 0, skills: [], rule: parsed.rule }
      : { source, name: r.name ?? source, action: r.action, priority: r.priority ?? 0, skills: r.skills ?? [], rule: parsed.rule };
  });
}
