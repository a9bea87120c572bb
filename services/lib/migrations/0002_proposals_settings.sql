-- Up Migration

-- Maker–checker proposals of any kind (services/lib/proposals.ts). A proposal is made by one
-- person and decided once, by another; `version` counts its changes (1 while pending).
CREATE TABLE proposals (
  id             uuid PRIMARY KEY,
  seq            bigserial NOT NULL UNIQUE,
  kind           text NOT NULL,
  subject        text NOT NULL,
  payload        jsonb NOT NULL,
  status         text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
  version        bigint NOT NULL DEFAULT 1,
  proposed_by    text NOT NULL,
  proposed_role  text NOT NULL,
  proposed_via   text,
  proposed_at    timestamptz NOT NULL,
  proposal_note  text,
  decided_by     text,
  decided_role   text,
  decided_at     timestamptz,
  decision_note  text,
  CHECK ((status = 'PENDING') = (decided_by IS NULL))
);
CREATE INDEX proposals_by_kind ON proposals (kind, subject, seq DESC);

-- Who did what to a proposal, append-only: the acting person, their role and the service they
-- acted through (`via`, for a delegated call).
CREATE TABLE proposal_audit (
  seq          bigserial PRIMARY KEY,
  proposal_id  uuid NOT NULL REFERENCES proposals (id),
  action       text NOT NULL CHECK (action IN ('PROPOSED', 'APPROVED', 'REJECTED')),
  actor        text NOT NULL,
  actor_role   text NOT NULL,
  via          text,
  at           timestamptz NOT NULL,
  note         text
);
CREATE INDEX proposal_audit_by_proposal ON proposal_audit (proposal_id, seq);

-- Effective-dated settings (services/lib/settings.ts): one row per approved value. A later approval
-- for the same key and date supersedes the earlier row, which is kept as history.
CREATE TABLE settings (
  seq             bigserial PRIMARY KEY,
  key             text NOT NULL,
  effective_from  date NOT NULL,
  value           jsonb NOT NULL,
  proposal_id     uuid NOT NULL UNIQUE REFERENCES proposals (id),
  superseded_by   uuid REFERENCES proposals (id)
);
CREATE UNIQUE INDEX settings_in_force ON settings (key, effective_from) WHERE superseded_by IS NULL;

-- Down Migration
DROP TABLE settings;
DROP TABLE proposal_audit;
DROP TABLE proposals;
