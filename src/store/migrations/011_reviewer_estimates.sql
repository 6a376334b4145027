-- Each reviewer's confusion matrix as Dawid–Skene last estimated it from overlapping answers, per
-- workflow, so a vote can be weighted by it without refitting the model inside the answer's
-- transaction. A background job refits and replaces a workflow's rows whole.

CREATE TABLE reviewer_estimate_fits (
  workflow   text PRIMARY KEY REFERENCES workflows(name) ON DELETE CASCADE,
  -- The label set the matrices are indexed by, in order.
  labels     jsonb NOT NULL,
  priors     jsonb NOT NULL,
  -- The answer-weighted average reviewer: how a reviewer without an estimate is counted.
  average    jsonb NOT NULL,
  ratings    integer NOT NULL,
  items      integer NOT NULL,
  iterations integer NOT NULL,
  converged  boolean NOT NULL,
  fitted_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reviewer_estimates (
  workflow    text NOT NULL REFERENCES reviewer_estimate_fits(workflow) ON DELETE CASCADE,
  reviewer_id uuid NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
  -- confusion[k][l]: the chance this reviewer answers labels[l] when the truth is labels[k].
  confusion   jsonb NOT NULL,
  accuracy    double precision NOT NULL,
  answers     integer NOT NULL,
  PRIMARY KEY (workflow, reviewer_id)
);
