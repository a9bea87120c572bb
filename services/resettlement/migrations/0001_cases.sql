-- Up Migration

-- A resettlement case per discharged soldier (domain.md §4). Personal data: the ID number
-- encrypted (id_enc), keyed-hashed (id_hash, for the one-open-case rule) and masked; the name,
-- phone and payee encrypted. Dates are civil dates (Asia/Shanghai).
CREATE TABLE cases (
  id                      uuid PRIMARY KEY,
  id_hash                 text NOT NULL,
  id_enc                  text NOT NULL,
  id_masked               text NOT NULL,
  name_enc                text NOT NULL,
  gender                  text NOT NULL CHECK (gender IN ('MALE', 'FEMALE')),
  birth_date              date NOT NULL,
  service_branch          text NOT NULL,
  rank_type               text NOT NULL CHECK (rank_type IN ('CONSCRIPT', 'NCO')),
  nco_level               integer NOT NULL CHECK (nco_level BETWEEN 0 AND 7),
  enlisted_on             date NOT NULL,
  discharged_on           date NOT NULL,
  discharge_approved_on   date NOT NULL,
  honours                 text[] NOT NULL,
  -- {grade, cause, assessedOn, mentalDisorder} or NULL.
  disability              jsonb,
  martyr_child            boolean NOT NULL,
  district                char(6) NOT NULL,
  residence               text NOT NULL CHECK (residence IN ('URBAN', 'RURAL')),
  college_student         boolean NOT NULL,
  payee_bank              text,
  payee_account_enc       text,
  payee_account_masked    text,
  payee_name_enc          text,
  phone_enc               text,
  status                  text NOT NULL CHECK (status IN ('RECEIVED', 'REPORTED', 'PLACEMENT_CHOSEN', 'SUBSIDY_GRANTED', 'JOB_OFFERED', 'ONBOARDED', 'CLOSED', 'LAPSED')),
  report_on_time_by       date NOT NULL,
  report_by               date NOT NULL,
  reported_on             date,
  reporting               text CHECK (reporting IN ('ON_TIME', 'LATE', 'LATE_JUSTIFIED')),
  late_reason             text,
  mode                    text CHECK (mode IN ('MONTHLY_RETIREMENT_PAY', 'SELF_EMPLOYMENT', 'ASSIGNED_WORK', 'RETIREMENT', 'SUPPORT')),
  -- The economic subsidy: {halfYears, perYearBaseFen, honourBp, amountFen, centralFen, proposedBy, approvedBy, status, note}.
  subsidy                 jsonb,
  -- {employer, letterNumber, referredOn}.
  job_offer               jsonb,
  onboarded_on            date,
  missed                  text[] NOT NULL DEFAULT '{}',
  closing_note            text,
  received_by             text NOT NULL,
  received_at             timestamptz NOT NULL,
  updated_at              timestamptz NOT NULL,
  version                 bigint NOT NULL DEFAULT 1,
  CHECK (discharged_on >= enlisted_on),
  CHECK (discharge_approved_on >= discharged_on)
);
-- One open case per ID number.
CREATE UNIQUE INDEX cases_open_id ON cases (id_hash) WHERE status NOT IN ('CLOSED', 'LAPSED');
CREATE INDEX cases_received ON cases (received_at DESC, id DESC);
CREATE INDEX cases_district ON cases (district, mode, status);

-- Every step of every case, in order (the audit trail).
CREATE TABLE case_steps (
  seq          bigserial PRIMARY KEY,
  case_id      uuid NOT NULL REFERENCES cases (id),
  step         text NOT NULL,
  from_status  text,
  to_status    text NOT NULL,
  actor        text NOT NULL,
  actor_role   text NOT NULL,
  via          text,
  at           timestamptz NOT NULL,
  detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_steps_case ON case_steps (case_id, seq);

-- Down Migration
DROP TABLE case_steps;
DROP TABLE cases;
