-- Up Migration

-- Designated hospitals (maker–checker through proposals of kind `hospital`).
CREATE TABLE hospitals (
  code        text PRIMARY KEY,
  name        text NOT NULL,
  status      text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED')),
  proposal_id uuid NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- What a hospital calls with: the jti of a token the issuer signed for it, or the SHA-256
-- fingerprint of its client certificate. Accepted only while unrevoked and unexpired.
CREATE TABLE hospital_credentials (
  id            uuid PRIMARY KEY,
  hospital      text NOT NULL REFERENCES hospitals (code),
  kind          text NOT NULL CHECK (kind IN ('token', 'certificate')),
  value         text NOT NULL,
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  registered_by text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  note          text NOT NULL,
  revoked_by    text,
  revoke_note   text,
  UNIQUE (kind, value)
);

-- Every Settle attempt (rejected ones too, for audit). Only one not-rejected attempt holds a bill
-- number: a rejected one frees it, so a corrected bill may be sent again.
CREATE TABLE settlement_requests (
  id            uuid PRIMARY KEY,
  hospital      text NOT NULL,
  bill_no       text NOT NULL,
  content_hash  text NOT NULL,
  -- The bill without the patient's ID number and name (amounts, dates, visit type, items), JSON.
  bill          jsonb NOT NULL,
  id_enc        text NOT NULL,
  id_masked     text NOT NULL,
  name_enc      text NOT NULL,
  status        text NOT NULL CHECK (status IN ('PENDING', 'SETTLED', 'REJECTED')),
  reject_reason text,
  -- The detailed reason (persons' SUSPENDED, DECEASED …), for staff only.
  reject_detail text,
  received_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  decided_at    timestamptz
);
CREATE UNIQUE INDEX settlement_requests_open_bill ON settlement_requests (hospital, bill_no) WHERE status <> 'REJECTED';

-- Annual cap used per person, fund and calendar year (locked by each settlement).
CREATE TABLE caps (
  person_id text NOT NULL,
  fund      text NOT NULL,
  year      int NOT NULL,
  used_fen  bigint NOT NULL DEFAULT 0 CHECK (used_fen >= 0),
  PRIMARY KEY (person_id, fund, year)
);

-- The lasting idempotency record: one per (hospital, bill number).
CREATE TABLE settlements (
  id              uuid PRIMARY KEY,
  request_id      uuid NOT NULL UNIQUE REFERENCES settlement_requests (id),
  hospital        text NOT NULL,
  bill_no         text NOT NULL,
  person_id       text NOT NULL,
  id_masked       text NOT NULL,
  fund            text NOT NULL,
  amount_fen      bigint NOT NULL CHECK (amount_fen >= 0),
  total_cost_fen  bigint NOT NULL,
  patient_pays_fen bigint NOT NULL,
  cap_year        int NOT NULL,
  -- The answer given, as sent (SettlementResult in JSON form), returned again to a re-send.
  result          jsonb NOT NULL,
  settled_at      timestamptz NOT NULL,
  period          text NOT NULL,
  reversed_at     timestamptz,
  reverse_period  text,
  reverse_reason  text,
  UNIQUE (hospital, bill_no)
);
CREATE INDEX settlements_hospital_settled ON settlements (hospital, settled_at, id);
CREATE INDEX settlements_hospital_reversed ON settlements (hospital, reversed_at) WHERE reversed_at IS NOT NULL;

-- Every eligibility lookup a hospital made (who, whom — masked —, when, what we answered).
CREATE TABLE eligibility_lookups (
  id         bigserial PRIMARY KEY,
  hospital   text NOT NULL,
  subject    text NOT NULL,
  id_masked  text NOT NULL,
  asked_date date NOT NULL,
  answer     text NOT NULL,
  at         timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Down Migration
DROP TABLE eligibility_lookups;
DROP TABLE settlements;
DROP TABLE caps;
DROP TABLE settlement_requests;
DROP TABLE hospital_credentials;
DROP TABLE hospitals;
