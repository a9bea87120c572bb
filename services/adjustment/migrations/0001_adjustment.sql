-- Up Migration

-- Adjustment runs: one attempt per row; `run_id` (the workflow id adjustment:{year}:{region}) is held by
-- at most one attempt not rejected or cancelled, so after either a new run of the same year may start.
CREATE TABLE runs (
  id                 uuid PRIMARY KEY,
  seq                bigserial UNIQUE,
  run_id             text NOT NULL,
  year               int NOT NULL,
  level              text NOT NULL CHECK (level IN ('NATIONAL', 'LOCAL')),
  region_code        text NOT NULL,
  effective_from     date NOT NULL,
  payroll_month      text NOT NULL CHECK (payroll_month ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  version_id         uuid NOT NULL,
  -- The draft's revision the simulation costed: an approval of another revision is SIMULATION_STALE.
  simulated_revision bigint NOT NULL,
  phase              text NOT NULL CHECK (phase IN ('SIMULATING', 'AWAITING_APPROVAL', 'PUBLISHED', 'REJECTED', 'CANCELLED')),
  paused             boolean NOT NULL DEFAULT false,
  -- Whether this service made the draft (a cancellation discards only what the run made).
  drafted_by_run     boolean NOT NULL DEFAULT false,
  persons_done       bigint NOT NULL DEFAULT 0,
  -- ImpactTotals as JSON (fen as strings), once simulated.
  totals             jsonb,
  started_by         text NOT NULL,
  decided_by         text,
  decision_note      text,
  started_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX runs_open ON runs (run_id) WHERE phase NOT IN ('REJECTED', 'CANCELLED');

-- Down Migration
DROP TABLE runs;
