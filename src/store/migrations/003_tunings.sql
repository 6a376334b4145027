-- Thresholds tuned to meet a workflow's target accuracy, newest last. The route of every item
-- names the threshold it was held to, so a tuning is never needed to explain an old decision.

ALTER TABLE model_versions ADD COLUMN held_out jsonb NOT NULL DEFAULT '[]';

CREATE TABLE policy_tunings (
  id            bigserial PRIMARY KEY,
  workflow      text NOT NULL REFERENCES workflows(name) ON DELETE CASCADE,
  model_version integer,
  plan          jsonb NOT NULL,
  -- Audits of automatic decisions seen when the plan was made; drift is judged on those after.
  audits_seen   integer NOT NULL DEFAULT 0,
  reason        text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX policy_tunings_workflow ON policy_tunings (workflow, id DESC);
