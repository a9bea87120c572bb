-- Up Migration

-- Everyone who changed a draft's rows (effective acting person), besides its creator: maker–checker
-- refuses approval and publication by any of them, not only by the creator.
ALTER TABLE versions ADD COLUMN edited_by text[] NOT NULL DEFAULT '{}';

-- Down Migration
ALTER TABLE versions DROP COLUMN edited_by;
