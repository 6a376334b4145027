-- The surge policy's state per workflow (core/surge.ts), shared by every process: routing reads
-- it, and one controller at a time moves it, writing a `surge.changed` event per change in the
-- same transaction. `version` is bumped on every write, so a controller that measured on an
-- older state writes nothing.
CREATE TABLE surge_states (
  workflow    text PRIMARY KEY REFERENCES workflows(name) ON DELETE CASCADE,
  active      text[] NOT NULL DEFAULT '{}',
  floors      jsonb NOT NULL DEFAULT '{}',
  changed_at  timestamptz,
  version     integer NOT NULL DEFAULT 0,
  -- the last load snapshot and forecast the controller measured, for the API and the dashboard
  measured    jsonb,
  measured_at timestamptz
);

-- A deferred task is not claimed while the surge's `defer` step lasts; its due time is kept, so
-- an SLA it misses meanwhile is reported as missed. The boost is what the surge added to the
-- priority, taken off again when `prioritize` is reverted.
ALTER TABLE tasks ADD COLUMN deferred boolean NOT NULL DEFAULT false;
ALTER TABLE tasks ADD COLUMN surge_boost integer NOT NULL DEFAULT 0;
CREATE INDEX tasks_deferred ON tasks (workflow) WHERE deferred;
CREATE INDEX tasks_surge_boost ON tasks (workflow) WHERE surge_boost <> 0;

CREATE INDEX events_surge ON events (workflow, id) WHERE type = 'surge.changed';

-- The controller's recent answers (handle time, who is at work), newest first.
CREATE INDEX answers_created ON answers (created_at);
