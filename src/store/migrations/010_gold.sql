-- Gold: items whose right answer is known, used to train, qualify and measure reviewers.
-- A gold task is a task of kind 'gold', made for one reviewer at claim time and leased to them
-- at once; it is never open in a queue, so nobody else can claim it.

ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('review', 'audit', 'vote', 'escalation', 'gold'));

CREATE TABLE gold_items (
  item_id    uuid PRIMARY KEY REFERENCES items(id),
  workflow   text NOT NULL REFERENCES workflows(name) ON DELETE CASCADE,
  outcome    jsonb NOT NULL,
  -- The guideline note shown with the right answer in training.
  note       text NOT NULL DEFAULT '',
  -- 'marked': a live item a lead marked as gold; 'imported': made to be gold, never live work.
  source     text NOT NULL CHECK (source IN ('marked', 'imported')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- A retired gold item is no longer served; its scores stay.
  retired_at timestamptz
);
CREATE INDEX gold_items_workflow ON gold_items (workflow, created_at) WHERE retired_at IS NULL;

-- Where a reviewer stands on a workflow that asks for training or qualification. No row: they
-- have not started. `attempt` counts trainings begun (a failed test or a demotion starts another).
CREATE TABLE reviewer_stages (
  reviewer_id  uuid NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
  workflow     text NOT NULL REFERENCES workflows(name) ON DELETE CASCADE,
  stage        text NOT NULL CHECK (stage IN ('training', 'qualifying', 'qualified')),
  attempt      integer NOT NULL DEFAULT 1,
  changed_at   timestamptz NOT NULL DEFAULT now(),
  qualified_at timestamptz,
  demoted_at   timestamptz,
  PRIMARY KEY (reviewer_id, workflow)
);

-- What each gold task was for: the stage and training attempt of its reviewer when it was made.
CREATE TABLE gold_assignments (
  task_id     uuid PRIMARY KEY REFERENCES tasks(id),
  workflow    text NOT NULL REFERENCES workflows(name) ON DELETE CASCADE,
  reviewer_id uuid NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
  stage       text NOT NULL CHECK (stage IN ('training', 'qualifying', 'live')),
  attempt     integer NOT NULL
);

-- Every answer on a gold task, scored when it was given.
CREATE TABLE gold_scores (
  id          bigserial PRIMARY KEY,
  workflow    text NOT NULL REFERENCES workflows(name) ON DELETE CASCADE,
  reviewer_id uuid NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
  item_id     uuid NOT NULL REFERENCES items(id),
  task_id     uuid NOT NULL UNIQUE REFERENCES tasks(id),
  stage       text NOT NULL CHECK (stage IN ('training', 'qualifying', 'live')),
  attempt     integer NOT NULL,
  correct     boolean NOT NULL,
  expected    jsonb NOT NULL,
  given       jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gold_scores_reviewer ON gold_scores (workflow, reviewer_id, id DESC);

-- Whether the reviewer answered without seeing the machine's suggestion (the workflow's
-- blindMode when they answered); NULL for answers given before this was recorded.
ALTER TABLE answers ADD COLUMN blind boolean;
