-- Up Migration

-- The apply phase (issue 10): after approval the run applies its version in persons under the
-- persons change request it proposed at simulation; APPLYING, then COMPLETED with what it wrote.
ALTER TABLE runs DROP CONSTRAINT runs_phase_check;
ALTER TABLE runs ADD CONSTRAINT runs_phase_check
  CHECK (phase IN ('SIMULATING', 'AWAITING_APPROVAL', 'PUBLISHED', 'APPLYING', 'COMPLETED', 'REJECTED', 'CANCELLED'));
ALTER TABLE runs ADD COLUMN apply_change_id uuid;
-- AppliedTotals as JSON (fen as strings), once completed.
ALTER TABLE runs ADD COLUMN applied jsonb;

-- Down Migration
ALTER TABLE runs DROP COLUMN applied;
ALTER TABLE runs DROP COLUMN apply_change_id;
ALTER TABLE runs DROP CONSTRAINT runs_phase_check;
ALTER TABLE runs ADD CONSTRAINT runs_phase_check
  CHECK (phase IN ('SIMULATING', 'AWAITING_APPROVAL', 'PUBLISHED', 'REJECTED', 'CANCELLED'));
