-- Up Migration

-- The annual adjustment's simulation (issue 10): per run and person, what the candidate standards
-- version would pay against the current periods. Written by the persons activity
-- `simulateAdjustmentPage`, read by ListAdjustmentImpact; a page simulated again replaces its rows.
CREATE TABLE adjustment_impacts (
  run_id                 text NOT NULL,
  person_id              uuid NOT NULL REFERENCES persons (id),
  district               text NOT NULL,
  category               text,
  -- The person's version when simulated (frozen input: apply compares).
  person_version         bigint NOT NULL,
  old_monthly_fen        bigint NOT NULL,
  new_monthly_fen        bigint NOT NULL,
  back_pay_fen           bigint NOT NULL CHECK (back_pay_fen >= 0),
  budget_to_december_fen bigint NOT NULL,
  simulated_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (run_id, person_id)
);

-- Down Migration
DROP TABLE adjustment_impacts;
