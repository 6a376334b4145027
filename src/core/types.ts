// Plain data shared by the core, the engine and the API. No behaviour here.

/** What the machine says about an item. */
export interface Prediction {
  /** Probability per label; sums to about 1. Empty when the model gave nothing usable. */
  labels: Record<string, number>;
  /** The most probable label, or null when there is no usable prediction. */
  label: string | null;
  /** Probability of `label`, or null. */
  confidence: number | null;
  /** Top evidence, most telling first (free text from the model). */
  explanation: string[];
  /** Which model produced it, e.g. `none`, `http:https://scorer/v1`. */
  model: string;
  /** Share of the item's words the model has seen in training (built-in model only); low means out of scope. */
  coverage?: number;
  /** Set when the model failed: why (timeout, status, garbage). */
  error?: string;
  /** Reply workflows: the reply the machine drafted for the predicted intent, or null when it had none. */
  draft?: Draft | null;
}

/** A reply the machine wrote for a customer message. */
export interface Draft {
  text: string;
  /** How sure the machine is that this reply answers the message, 0 to 1. */
  confidence: number;
  intent: string | null;
  /** Where it came from: `library:<reply id>` or `openai:<model>`. */
  source: string;
}

export type RouteKind = 'auto' | 'review' | 'escalate';

/** One reason for a route; every route lists all that applied. */
export type Reason =
  | { code: 'confident'; label: string; confidence: number; threshold: number }
  | { code: 'below_threshold'; label: string; confidence: number; threshold: number }
  | { code: 'no_model' }
  | { code: 'model_error'; message: string }
  | { code: 'unknown_label'; label: string }
  | { code: 'out_of_scope'; coverage: number; minCoverage: number }
  | { code: 'rule'; rule: string; name: string; action: 'review' | 'escalate' }
  | { code: 'audit_sample'; rate: number }
  | { code: 'target_accuracy'; target: number; note: string }
  | { code: 'surge'; action: 'prioritize' | 'lowerThresholds' | 'defer'; note: string }
  // Reply workflows (core/replyRoute.ts):
  | { code: 'auto_send_off' }
  | { code: 'no_draft'; message: string }
  | { code: 'draft_below_threshold'; confidence: number; threshold: number }
  | { code: 'signal'; signal: string; detail: string; priority: number }
  | { code: 'with_person'; state: string };

export interface Route {
  route: RouteKind;
  /** The machine's label when the route is `auto`, else its suggestion (or null). */
  label: string | null;
  confidence: number | null;
  /** An automatic decision also sent to a person for audit. Always false unless route is `auto`. */
  audit: boolean;
  reasons: Reason[];
  /** Task priority (higher first); the highest of the matching rules, else 0. */
  priority: number;
  /** Skills a reviewer needs for this item's tasks: the union of the matching rules' skills. */
  skills: string[];
}

/** What a person gave on a task, by answer type. */
export type Outcome =
  | { type: 'label'; label: string }
  | { type: 'approve'; verdict: 'approve' | 'reject' }
  | { type: 'approve'; verdict: 'edit'; edited: Record<string, unknown> }
  | { type: 'text'; text: string }
  | { type: 'reply'; text: string; intent: string | null };
