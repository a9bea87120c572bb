-- Up Migration

-- What waits for staff (ListPendingItems): a year's adjustment that is due, until its run starts.
CREATE TABLE pending_items (
  id              uuid PRIMARY KEY,
  seq             bigserial UNIQUE,
  kind            text NOT NULL CHECK (kind IN ('ADJUSTMENT_DUE')),
  subject         text NOT NULL,
  description     text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  resolved_at     timestamptz,
  resolved_by_run text,
  UNIQUE (kind, subject)
);

-- Down Migration
DROP TABLE pending_items;
