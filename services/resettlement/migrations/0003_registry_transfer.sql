-- Up Migration

-- The hand-over to the registry: {attempt, origin, status, changeId, requestedBy, message}.
ALTER TABLE cases ADD COLUMN registry_transfer jsonb;

-- Down Migration
ALTER TABLE cases DROP COLUMN registry_transfer;
