// Shapes of the API's answers, as the app reads them.
export interface Prediction {
  labels: Record<string, number>;
  label: string | null;
  confidence: number | null;
  explanation: string[];
  model: string;
  error?: string;
  /** Reply workflows: the machine's draft reply. */
  draft?: { text: string; confidence: number; intent: string | null; source: string } | null;
}

export interface Reason {
  code: string;
  label?: string;
  confidence?: number;
  threshold?: number;
  rule?: string;
  name?: string;
  action?: string;
  message?: string;
  coverage?: number;
  minCoverage?: number;
  rate?: number;
  note?: string;
  target?: number;
}

export interface Route {
  route: 'auto' | 'review' | 'escalate';
  label: string | null;
  confidence: number | null;
  audit: boolean;
  reasons: Reason[];
  priority: number;
  skills: string[];
}

export interface Task {
  id: string;
  itemId: string;
  workflow: string;
  queue: string;
  kind: 'review' | 'audit' | 'vote' | 'escalation';
  status: string;
  priority: number;
  reason: string | null;
  dueAt: string;
  assignment: number;
  leaseExpiresAt: string | null;
  createdAt: string;
}

export interface ClaimedItem {
  id: string;
  workflow: string;
  text: string | null;
  fields: Record<string, unknown>;
  metadata: Record<string, unknown>;
  masked: boolean;
  blind: boolean;
  prediction: Prediction | null;
  route: Route;
  createdAt: string;
}

export interface Claim {
  task: Task;
  item: ClaimedItem;
}

export interface Workflow {
  name: string;
  description: string;
  answerType: 'label' | 'approve' | 'text' | 'reply';
  labels: string[];
  version: number;
  blindMode: boolean;
  slaSeconds: number;
  targetAccuracy?: number;
  reviewerAccuracy: number;
  policy: { threshold: number; labelThresholds: Record<string, number>; rules: unknown[]; minCoverage: number; auditRate: number; seed: string };
  consensus: { answers: number; rule: 'majority' | 'unanimous' };
  costs?: { reviewerPerHour: number; errorCost: number; currency: string };
  [key: string]: unknown;
}

export interface QueueView {
  workflow: string;
  queue: string;
  open: number;
  leased: number;
  oldestDueAt: string | null;
}

export type Outcome =
  | { type: 'label'; label: string }
  | { type: 'approve'; verdict: 'approve' | 'reject' }
  | { type: 'approve'; verdict: 'edit'; edited: Record<string, unknown> }
  | { type: 'text'; text: string }
  | { type: 'reply'; text: string };

export interface ChatMessage {
  seq: number;
  author: 'customer' | 'bot' | 'agent' | 'system';
  text: string;
  itemId: string | null;
  createdAt: string;
}

export interface Conversation {
  id: string;
  workflow: string;
  customerId: string;
  customer: Record<string, unknown>;
  state: 'bot' | 'waiting' | 'human' | 'closed';
  intent: string | null;
  handoffs: number;
  handoffReasons: string[];
  rating: 'up' | 'down' | null;
  updatedAt: string;
}

export interface ConversationDetail {
  conversation: Conversation;
  messages: ChatMessage[];
  items: Array<{ id: string; text: string | null; prediction: Prediction | null; route: Route; status: string; decision: { source: string; outcome: unknown; actor: string } | null; openTaskId: string | null }>;
  wait: { seconds: number; basis: string } | null;
}
