-- The feedback loop: labelled examples (every human answer, and imported history) and the model
-- versions trained on them.

CREATE TABLE examples (
  id         bigserial PRIMARY KEY,
  workflow   text NOT NULL REFERENCES workflows(name) ON DELETE CASCADE,
  -- The item a person decided; NULL for imported history.
  item_id    uuid UNIQUE REFERENCES items(id),
  text       text NOT NULL,
  label      text NOT NULL,
  source     text NOT NULL CHECK (source IN ('decision', 'import')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX examples_workflow ON examples (workflow, id);
-- Re-importing the same history adds nothing: imports look rows up by their text's hash.
CREATE INDEX examples_text ON examples (workflow, md5(text));

CREATE TABLE model_versions (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow      text NOT NULL REFERENCES workflows(name) ON DELETE CASCADE,
  version       integer NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('builtin')),
  weights       bytea NOT NULL,
  labels        text[] NOT NULL,
  -- Examples it learned from, and the id of the newest: the next retraining counts from there.
  training_size integer NOT NULL,
  last_example  bigint NOT NULL,
  -- Held-out accuracy, log loss and expected calibration error, measured when it was trained.
  scores        jsonb NOT NULL,
  calibration   jsonb NOT NULL,
  training_ms   integer NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow, version)
);

-- Who runs a long background job now, and until when.
CREATE TABLE job_leases (
  job        text PRIMARY KEY,
  owner      text NOT NULL,
  expires_at timestamptz NOT NULL
);
