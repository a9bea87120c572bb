-- Up Migration

-- Support measures of a case: vocational training, a start-up loan's interest subsidy, resumed study.
CREATE TABLE support_records (
  seq          bigserial PRIMARY KEY,
  id           uuid NOT NULL UNIQUE,
  case_id      uuid NOT NULL REFERENCES cases (id),
  kind         text NOT NULL CHECK (kind IN ('TRAINING', 'LOAN_INTEREST_SUBSIDY', 'RESUMED_STUDY')),
  started_on   date NOT NULL,
  provider     text NOT NULL,
  amount_fen   bigint NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
  note         text NOT NULL,
  recorded_by  text NOT NULL,
  recorded_at  timestamptz NOT NULL
);
CREATE INDEX support_records_case ON support_records (case_id, seq);

-- The waiting allowance of an assigned-work case: one line per (case, month), recorded once by the
-- case workflow, at the minimum wage in force on the month's first day.
CREATE TABLE waiting_allowances (
  case_id      uuid NOT NULL REFERENCES cases (id),
  month        char(7) NOT NULL,
  amount_fen   bigint NOT NULL CHECK (amount_fen > 0),
  recorded_at  timestamptz NOT NULL,
  PRIMARY KEY (case_id, month)
);

-- Down Migration
DROP TABLE waiting_allowances;
DROP TABLE support_records;
