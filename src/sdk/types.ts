// The wire shapes the SDK reads and writes, written by hand after the server's OpenAPI document
// (/v1/openapi.json): the SDK imports nothing of the server, so it runs in any Node or browser app.

export type ItemStatus = 'pending' | 'decided';
export type RouteName = 'auto' | 'review' | 'escalate';
export type DecisionSource = 'machine' | 'human' | 'consensus' | 'lead';

/** What an item carries: free text, structured fields (checked against the workflow's inputSchema), context. */
export interface ItemInput {
  text?: string | null;
  fields?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/** The outcome of a decision or an answer, by the workflow's answer type. */
export type Outcome =
  | { type: 'label'; label: string }
  | { type: 'approve'; verdict: 'approve' | 'reject'; edited?: undefined }
  | { type: 'approve'; verdict: 'edit'; edited: Record<string, unknown> }
  | { type: 'text'; text: string };

export interface Route {
  route: RouteName;
  reasons?: unknown[];
  audit?: boolean;
  [key: string]: unknown;
}

/** POST /v1/workflows/{name}/items, 201 or 200 (a repeat of an earlier submit with the same key). */
export interface Submitted {
  id: string;
  workflow: string;
  status: ItemStatus;
  route: Route;
  createdAt: string;
  /** True when the server made a new item (201), false when the idempotency key matched an earlier one (200). */
  created: boolean;
}

export interface Decision {
  id: string;
  itemId: string;
  version: number;
  source: DecisionSource;
  outcome: Outcome;
  actor: string;
  reason: string;
  supersedes: string | null;
  createdAt: string;
}

/** GET /v1/items/{id}/decision */
export interface DecisionRead {
  itemId: string;
  status: ItemStatus;
  decision: Decision | null;
}

export interface Task {
  id: string;
  itemId: string;
  workflow: string;
  queue: string;
  kind: string;
  status: string;
  priority: number;
  reason: string | null;
  dueAt: string | null;
  createdAt: string;
  [key: string]: unknown;
}

export interface Answer {
  id: string;
  taskId: string;
  reviewerId: string;
  assignment: number;
  outcome: Outcome;
  note: string | null;
  timeSpentMs: number | null;
  createdAt: string;
}

export interface ItemEvent {
  id: string;
  type: string;
  taskId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
}

/** GET /v1/items/{id}: the item with its audit trail. */
export interface Item {
  id: string;
  workflow: string;
  status: ItemStatus;
  idempotencyKey: string | null;
  input: { text: string | null; fields: Record<string, unknown> | null; metadata: Record<string, unknown> | null; masked?: boolean };
  prediction: unknown;
  route: Route;
  suggestionHidden: boolean;
  decision: Decision | null;
  tasks: Task[];
  answers: Answer[];
  decisions: Decision[];
  events: ItemEvent[];
  createdAt: string;
  decidedAt: string | null;
}

/** An RFC 9457 problem document, as the server reports errors. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { path: string; message: string }[];
  [key: string]: unknown;
}

/** A webhook delivery's body (Standard Webhooks), see README "Webhooks". */
export interface WebhookEvent {
  type: string;
  timestamp: string;
  data: { eventId: string; workflow: string | null; itemId: string | null; taskId: string | null; [key: string]: unknown };
}

/** The routes this SDK calls; a test checks each is in the served OpenAPI document. */
export const sdkRoutes = [
  { method: 'post', path: '/v1/workflows/{name}/items' },
  { method: 'get', path: '/v1/items/{id}' },
  { method: 'get', path: '/v1/items/{id}/decision' },
] as const;
