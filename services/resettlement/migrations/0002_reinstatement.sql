-- Up Migration

-- The last reinstatement proposed for a lapsed case: {reason, proposedBy, decidedBy, status, note}.
ALTER TABLE cases ADD COLUMN reinstatement jsonb;

-- Down Migration
ALTER TABLE cases DROP COLUMN reinstatement;
