-- The national-platform door's answers by message id: the same `msgid` from the same caller gets
-- the first answer again (never a second call). Answers that failed for a passing reason (5xx)
-- are not kept, so a retry is tried again.
CREATE TABLE national_messages (
  -- SHA-256 of the caller's Authorization header: only the holder of the token that sent a
  -- message can read its answer back.
  caller        text NOT NULL,
  msgid         text NOT NULL,
  infno         text NOT NULL,
  -- SHA-256 of the request envelope: a msgid sent again with other content is refused.
  request_hash  text NOT NULL,
  http_status   integer NOT NULL,
  -- The answer exactly as sent (its amounts written with 2 decimals).
  response      text NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (caller, msgid)
);
CREATE INDEX national_messages_received ON national_messages (received_at);
