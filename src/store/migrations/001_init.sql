-- Tandem schema, version 1. Runs unchanged on PGlite and on a Postgres server.

CREATE TABLE workflows (
  name        text PRIMARY KEY,
  spec        jsonb NOT NULL,
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reviewers (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL UNIQUE,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('reviewer', 'lead', 'admin')),
  skills        text[] NOT NULL DEFAULT '{}',
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz
);

-- Which workflows a reviewer or lead works; admins work all of them.
CREATE TABLE memberships (
  reviewer_id uuid NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
  workflow    text NOT NULL REFERENCES workflows(name) ON DELETE CASCADE,
  PRIMARY KEY (reviewer_id, workflow)
);

CREATE TABLE sessions (
  token_hash  text PRIMARY KEY,
  reviewer_id uuid NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  key_hash    text NOT NULL UNIQUE,
  prefix      text NOT NULL,
  role        text NOT NULL CHECK (role IN ('service', 'admin')),
  -- NULL: every workflow; else only these.
  workflows   text[],
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE items (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow        text NOT NULL REFERENCES workflows(name),
  idempotency_key text,
  request_hash    text NOT NULL,
  text            text,
  fields          jsonb NOT NULL DEFAULT '{}',
  metadata        jsonb NOT NULL DEFAULT '{}',
  prediction      jsonb,
  route           jsonb NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending', 'decided')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  decided_at      timestamptz,
  UNIQUE (workflow, idempotency_key)
);
CREATE INDEX items_workflow_created ON items (workflow, created_at DESC);

CREATE TABLE tasks (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  item_id          uuid NOT NULL REFERENCES items(id),
  workflow         text NOT NULL,
  queue            text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('review', 'audit', 'vote', 'escalation')),
  status           text NOT NULL CHECK (status IN ('open', 'leased', 'done', 'escalated', 'cancelled')),
  priority         integer NOT NULL DEFAULT 0,
  due_at           timestamptz NOT NULL,
  skills           text[] NOT NULL DEFAULT '{}',
  -- Bumped on every claim: an answer must name the assignment it was given (optimistic concurrency).
  assignment       integer NOT NULL DEFAULT 0,
  lease_owner      uuid REFERENCES reviewers(id),
  lease_expires_at timestamptz,
  overdue_at       timestamptz,
  reason           text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
-- The claim's path: open tasks of a queue, highest priority first, then soonest due.
CREATE INDEX tasks_claim ON tasks (workflow, queue, priority DESC, due_at) WHERE status = 'open';
CREATE INDEX tasks_leased ON tasks (lease_expires_at) WHERE status = 'leased';
CREATE INDEX tasks_due ON tasks (due_at) WHERE status IN ('open', 'leased') AND overdue_at IS NULL;
CREATE INDEX tasks_item ON tasks (item_id);

CREATE TABLE answers (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  task_id       uuid NOT NULL REFERENCES tasks(id),
  item_id       uuid NOT NULL REFERENCES items(id),
  reviewer_id   uuid NOT NULL REFERENCES reviewers(id),
  assignment    integer NOT NULL,
  outcome       jsonb NOT NULL,
  note          text,
  time_spent_ms integer,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (task_id)
);
CREATE INDEX answers_item ON answers (item_id);

CREATE TABLE decisions (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  item_id     uuid NOT NULL REFERENCES items(id),
  version     integer NOT NULL,
  source      text NOT NULL CHECK (source IN ('machine', 'human', 'consensus', 'lead')),
  outcome     jsonb NOT NULL,
  actor       text NOT NULL,
  reason      text NOT NULL,
  supersedes  uuid REFERENCES decisions(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (item_id, version)
);

-- A decision is a fact: it is never changed or removed, only superseded by a newer version.
CREATE FUNCTION decisions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'decisions are immutable; supersede with a new version';
END $$;
CREATE TRIGGER decisions_no_update BEFORE UPDATE OR DELETE ON decisions
  FOR EACH ROW EXECUTE FUNCTION decisions_immutable();

-- The outbox: written in the same transaction as the change it reports.
CREATE TABLE events (
  id          bigserial PRIMARY KEY,
  type        text NOT NULL,
  workflow    text,
  item_id     uuid,
  task_id     uuid,
  payload     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_item ON events (item_id);
