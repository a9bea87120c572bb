-- Up Migration

-- A hospital's statement of a period (YYYY-MM). A row exists once anything landed in the period or
-- the cut-off ran. Settlements and reversals hold a shared advisory lock on (hospital, period) while
-- they commit, the cut-off an exclusive one (statements.ts), so nothing commits into a period after
-- its cut-off (it lands in the next one).
CREATE TABLE statements (
  hospital    text NOT NULL,
  period      text NOT NULL CHECK (period ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  status      text NOT NULL CHECK (status IN ('OPEN', 'PREPARED', 'CLOSED')),
  -- Fixed at the cut-off: { settled: [{ fund, count, amount }], reversed: [...] } (fen as strings).
  totals      jsonb,
  prepared_at timestamptz,
  closed_at   timestamptz,
  closed_by   text,
  close_note  text,
  PRIMARY KEY (hospital, period)
);

CREATE INDEX settlements_period ON settlements (hospital, period);

-- Which RPC asked (CheckEligibility or PreSettle: both tell a hospital about a person).
ALTER TABLE eligibility_lookups ADD COLUMN rpc text NOT NULL DEFAULT 'CheckEligibility';
CREATE INDEX settlements_reverse_period ON settlements (hospital, reverse_period) WHERE reverse_period IS NOT NULL;

-- Down Migration
ALTER TABLE eligibility_lookups DROP COLUMN rpc;
DROP INDEX settlements_reverse_period;
DROP INDEX settlements_period;
DROP TABLE statements;
