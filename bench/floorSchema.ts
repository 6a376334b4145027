// The tables of bench/floorServer.ts, written by `bench scale --floor` before its servers start
// (a module of its own: importing the server would start it).
/** The floor's tables, written by the bench before the servers start. */
export const floorSchema = `
CREATE TABLE reviewers (id uuid PRIMARY KEY);
CREATE TABLE items (
  id uuid PRIMARY KEY, workflow text NOT NULL, text text NOT NULL, metadata jsonb NOT NULL,
  status text NOT NULL DEFAULT 'review', idempotency_key text UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE tasks (
  id uuid PRIMARY KEY, item_id uuid NOT NULL REFERENCES items, workflow text NOT NULL, status text NOT NULL DEFAULT 'open',
  priority int NOT NULL DEFAULT 0, due_at timestamptz NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
  lease_owner uuid, assignment int NOT NULL DEFAULT 0, lease_expires_at timestamptz, updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX tasks_claim ON tasks (workflow, priority DESC, due_at, created_at) WHERE status = 'open';
CREATE TABLE answers (
  id uuid PRIMARY KEY, task_id uuid NOT NULL, item_id uuid NOT NULL, reviewer_id uuid NOT NULL, assignment int NOT NULL,
  outcome jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE decisions (
  item_id uuid NOT NULL, version int NOT NULL, source text NOT NULL, outcome jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (item_id, version));
CREATE TABLE examples (item_id uuid PRIMARY KEY, workflow text NOT NULL, text text NOT NULL, label text NOT NULL);
CREATE TABLE events (
  id bigserial PRIMARY KEY, type text NOT NULL, workflow text NOT NULL, item_id uuid, task_id uuid, payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now());
`;

