-- Up Migration

-- Transactional outbox: rows are written in the same transaction as the change they describe
-- and published to Kafka by the relay (services/lib/outbox.ts) in `seq` order.
CREATE TABLE outbox (
  seq             bigserial PRIMARY KEY,
  id              uuid NOT NULL UNIQUE,
  topic           text NOT NULL,
  aggregate_id    text NOT NULL,
  event_type      text NOT NULL,
  payload         bytea NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at    timestamptz,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_error      text
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

-- Idempotent consumers: an event id is recorded in the same transaction that applies it.
CREATE TABLE processed_events (
  consumer     text NOT NULL,
  event_id     text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consumer, event_id)
);

-- Rejections by business rules, counted per event so a message goes to the DLQ after N attempts
-- even across consumer restarts.
CREATE TABLE consumer_failures (
  consumer   text NOT NULL,
  event_id   text NOT NULL,
  attempts   integer NOT NULL,
  last_error text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consumer, event_id)
);

-- Down Migration
DROP TABLE consumer_failures;
DROP TABLE processed_events;
DROP TABLE outbox;
