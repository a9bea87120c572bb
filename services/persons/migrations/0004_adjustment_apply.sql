-- Up Migration

-- The annual adjustment's apply phase (issue 10). A run proposes one change request of kind
-- STANDARDS_ADJUSTMENT (person_id NULL) at simulation; the approver approves it with the standards
-- version; the apply activities refuse to write without that approval. Periods the apply derives
-- are recorded_by / superseded_by that change; its lines have source `adjustment:<version id>`.
CREATE TABLE adjustment_applies (
  change_id      uuid PRIMARY KEY REFERENCES change_requests (id),
  -- The run's attempt (its simulation rows in adjustment_impacts) and workflow id.
  attempt_id     text NOT NULL UNIQUE,
  workflow_id    text NOT NULL,
  version_id     text NOT NULL,
  level          text NOT NULL,
  region_code    text NOT NULL,
  effective_from date NOT NULL,
  payroll_month  char(7) NOT NULL,
  started_at     timestamptz,
  -- Set when the apply finished: RunPayroll(payroll_month or later) waits until then.
  completed_at   timestamptz,
  totals         jsonb
);

-- One per (version, person): the apply of a version reaches each person once (a page again, a
-- retry or the final sweep skips them), with what it wrote.
CREATE TABLE adjustment_markers (
  version_id        text NOT NULL,
  person_id         uuid NOT NULL REFERENCES persons (id),
  change_id         uuid NOT NULL REFERENCES change_requests (id),
  -- The person's version when applied (beside the simulation's: frozen inputs).
  person_version    bigint NOT NULL,
  old_monthly_fen   bigint NOT NULL,
  new_monthly_fen   bigint NOT NULL,
  back_pay_fen      bigint NOT NULL CHECK (back_pay_fen >= 0),
  funeral_fen       bigint NOT NULL CHECK (funeral_fen >= 0),
  lines             integer NOT NULL,
  applied_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (version_id, person_id)
);
CREATE INDEX adjustment_markers_change ON adjustment_markers (change_id, person_id);

ALTER TABLE adjustment_impacts ADD COLUMN funeral_top_up_fen bigint NOT NULL DEFAULT 0 CHECK (funeral_top_up_fen >= 0);

-- Down Migration
ALTER TABLE adjustment_impacts DROP COLUMN funeral_top_up_fen;
DROP TABLE adjustment_markers;
DROP TABLE adjustment_applies;
