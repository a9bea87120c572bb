-- Up Migration

-- Months are 'YYYY-MM' text (they sort as months); money is int8 fen; PII columns (*_enc) hold
-- PiiVault ciphertext, `id_hash` the keyed hash of the normalised national ID number.

-- Change requests (maker–checker). The proposal's personal data lives encrypted in payload_enc
-- (single changes) or in staged_persons (registrations and imports).
CREATE TABLE change_requests (
  id              uuid PRIMARY KEY,
  kind            text NOT NULL,
  status          text NOT NULL CHECK (status IN ('OPEN', 'PROPOSED', 'APPROVED', 'REJECTED')),
  person_id       uuid,
  id_masked       text,
  base_version    bigint NOT NULL DEFAULT 0,
  effective_date  date,
  summary         text NOT NULL,
  payload_enc     text,
  proposed_by     text NOT NULL,
  proposed_via    text,
  proposed_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  decided_by      text,
  decided_via     text,
  decided_at      timestamptz,
  decision_note   text,
  import_key      text UNIQUE,
  record_count    integer NOT NULL DEFAULT 0
);
CREATE INDEX change_requests_by_time ON change_requests (proposed_at DESC, id DESC);
CREATE INDEX change_requests_by_person ON change_requests (person_id, proposed_at DESC);

-- Persons proposed for registration (one per registration, many per import), in final encrypted
-- form so approval copies them. A non-released row claims its ID hash: that is the de-duplication
-- of pending and registered persons alike.
CREATE TABLE staged_persons (
  change_id            uuid NOT NULL REFERENCES change_requests(id),
  row_no               integer NOT NULL,
  person_id            uuid NOT NULL UNIQUE,
  id_hash              text NOT NULL,
  released             boolean NOT NULL DEFAULT false,
  id_enc               text NOT NULL,
  id_masked            text NOT NULL,
  name_enc             text NOT NULL,
  gender               text NOT NULL,
  birth_date           date NOT NULL,
  district             char(6) NOT NULL,
  residence            text NOT NULL,
  contact_enc          text NOT NULL,
  approval_date        date NOT NULL,
  history_from         char(7),
  payee_bank           text NOT NULL,
  payee_account_enc    text NOT NULL,
  payee_account_masked text NOT NULL,
  payee_name_enc       text NOT NULL,
  identities           jsonb NOT NULL,
  PRIMARY KEY (change_id, row_no)
);
CREATE UNIQUE INDEX staged_persons_claim ON staged_persons (id_hash) WHERE NOT released;

CREATE TABLE persons (
  id                   uuid PRIMARY KEY,
  id_hash              text NOT NULL UNIQUE,
  id_enc               text NOT NULL,
  id_masked            text NOT NULL,
  name_enc             text NOT NULL,
  gender               text NOT NULL,
  birth_date           date NOT NULL,
  district             char(6) NOT NULL,
  residence            text NOT NULL,
  contact_enc          text NOT NULL,
  approval_date        date NOT NULL,
  history_from         char(7) NOT NULL,
  payee_bank           text NOT NULL,
  payee_account_enc    text NOT NULL,
  payee_account_masked text NOT NULL,
  payee_name_enc       text NOT NULL,
  status               text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED', 'DECEASED', 'TRANSFERRED_OUT')),
  status_date          date NOT NULL,
  status_reason        text,
  death_cause          text,
  -- Categories of the identities currently held (list filter).
  categories           text[] NOT NULL,
  version              bigint NOT NULL DEFAULT 1,
  registered_by        uuid NOT NULL REFERENCES change_requests(id),
  registered_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at           timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX persons_district ON persons (district, id);
CREATE INDEX persons_status ON persons (status, id);
CREATE INDEX persons_categories ON persons USING gin (categories);
CREATE INDEX persons_registered_by ON persons (registered_by);

CREATE TABLE identities (
  id                uuid PRIMARY KEY,
  person_id         uuid NOT NULL REFERENCES persons(id),
  category          text NOT NULL,
  grade             smallint NOT NULL DEFAULT 0,
  cause             text,
  enlistment_period text,
  service_years     smallint NOT NULL DEFAULT 0,
  mental_disorder   boolean NOT NULL DEFAULT false,
  effective_from    date NOT NULL,
  effective_to      date,
  recorded_by       uuid NOT NULL REFERENCES change_requests(id),
  ended_by          uuid REFERENCES change_requests(id)
);
CREATE INDEX identities_person ON identities (person_id);

-- Status history; the current status is also on persons.
CREATE TABLE status_events (
  seq            bigserial PRIMARY KEY,
  person_id      uuid NOT NULL REFERENCES persons(id),
  status         text NOT NULL,
  effective_date date NOT NULL,
  reason         text,
  death_cause    text,
  change_id      uuid NOT NULL REFERENCES change_requests(id)
);
CREATE INDEX status_events_person ON status_events (person_id, seq);

-- Benefit periods. Never rewritten: a re-derivation marks the rows it replaces superseded (and
-- re-inserts the part before its first month). Current = superseded_by IS NULL.
CREATE TABLE benefit_periods (
  id             uuid PRIMARY KEY,
  person_id      uuid NOT NULL REFERENCES persons(id),
  benefit        text NOT NULL CHECK (benefit IN ('PENSION', 'NURSING_FEE')),
  from_month     char(7) NOT NULL,
  to_month       char(7),
  monthly_fen    bigint NOT NULL CHECK (monthly_fen >= 0),
  identity_id    uuid NOT NULL,
  category       text NOT NULL,
  versions       text[] NOT NULL,
  missing        text[] NOT NULL,
  recorded_by    uuid NOT NULL REFERENCES change_requests(id),
  superseded_by  uuid REFERENCES change_requests(id),
  recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (to_month IS NULL OR to_month >= from_month)
);
CREATE INDEX benefit_periods_current ON benefit_periods (person_id, benefit, from_month) WHERE superseded_by IS NULL;
CREATE INDEX benefit_periods_month ON benefit_periods (from_month, to_month) WHERE superseded_by IS NULL;

-- Back pay (> 0), overpayments (< 0) and one-off payments, one per (person, benefit, month,
-- source). Source: the change id that caused it (later: the annual adjustment's key, e.g.
-- `adjustment:<version id>`), so each cause records its difference once.
CREATE TABLE adjustment_lines (
  id           uuid PRIMARY KEY,
  seq          bigserial UNIQUE,
  person_id    uuid NOT NULL REFERENCES persons(id),
  benefit      text NOT NULL CHECK (benefit IN ('PENSION', 'NURSING_FEE', 'FUNERAL_SUBSIDY')),
  month        char(7) NOT NULL,
  source       text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('BACK_PAY', 'OVERPAYMENT', 'ONE_OFF')),
  amount_fen   bigint NOT NULL CHECK (amount_fen <> 0),
  category     text,
  recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (person_id, benefit, month, source)
);
CREATE INDEX adjustment_lines_person ON adjustment_lines (person_id, month);

CREATE TABLE payroll_runs (
  month      char(7) PRIMARY KEY,
  run_by     text NOT NULL,
  run_via    text,
  run_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  result     jsonb NOT NULL
);

-- Payroll lines. REGULAR: exactly once per (person, benefit, month); BACK_PAY / ONE_OFF: once per
-- adjustment line; RECOVERY: at most once per overpayment line and run.
CREATE TABLE payroll_lines (
  id                   bigserial PRIMARY KEY,
  run_month            char(7) NOT NULL REFERENCES payroll_runs(month),
  person_id            uuid NOT NULL REFERENCES persons(id),
  benefit              text NOT NULL,
  kind                 text NOT NULL CHECK (kind IN ('REGULAR', 'BACK_PAY', 'RECOVERY', 'ONE_OFF')),
  for_month            char(7) NOT NULL,
  amount_fen           bigint NOT NULL,
  adjustment_id        uuid REFERENCES adjustment_lines(id),
  category             text,
  district             char(6) NOT NULL,
  payee_bank           text NOT NULL,
  payee_account_enc    text NOT NULL,
  payee_account_masked text NOT NULL,
  payee_name_enc       text NOT NULL
);
CREATE UNIQUE INDEX payroll_lines_regular ON payroll_lines (person_id, benefit, for_month) WHERE kind = 'REGULAR';
CREATE UNIQUE INDEX payroll_lines_settles ON payroll_lines (adjustment_id) WHERE kind IN ('BACK_PAY', 'ONE_OFF');
CREATE UNIQUE INDEX payroll_lines_recovery ON payroll_lines (adjustment_id, run_month) WHERE kind = 'RECOVERY';
CREATE INDEX payroll_lines_run ON payroll_lines (run_month, person_id, id);
CREATE INDEX payroll_lines_person ON payroll_lines (person_id, for_month);

-- Audit trail of applied changes. Snapshots hold masked or no personal data.
CREATE TABLE audit_log (
  seq          bigserial PRIMARY KEY,
  person_id    uuid NOT NULL,
  change_id    uuid,
  action       text NOT NULL,
  actor        text NOT NULL,
  actor_role   text NOT NULL,
  via          text,
  proposed_by  text,
  at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  before       jsonb,
  after        jsonb NOT NULL
);
CREATE INDEX audit_log_person ON audit_log (person_id, seq);

-- Standards versions seen on youfu.standards.v1 (their months split benefit periods).
CREATE TABLE standard_versions (
  version_id      text PRIMARY KEY,
  level           text NOT NULL,
  region_code     text NOT NULL,
  effective_from  date NOT NULL,
  superseded_id   text,
  recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Down Migration
DROP TABLE standard_versions;
DROP TABLE audit_log;
DROP TABLE payroll_lines;
DROP TABLE payroll_runs;
DROP TABLE adjustment_lines;
DROP TABLE benefit_periods;
DROP TABLE status_events;
DROP TABLE identities;
DROP TABLE persons;
DROP TABLE staged_persons;
DROP TABLE change_requests;
