-- Up Migration

-- Index values under maker–checker: a clerk proposes (proposed_value_fen), an approver other than the
-- proposer puts it in force (value_fen, which lookups use; NULL until a first approval). Values set
-- before this migration stay in force, approved by whoever set them.
ALTER TABLE index_values ALTER COLUMN value_fen DROP NOT NULL;
ALTER TABLE index_values
  ADD COLUMN proposed_value_fen bigint CHECK (proposed_value_fen > 0),
  ADD COLUMN proposed_by text,
  ADD COLUMN proposed_at timestamptz,
  ADD COLUMN approved_by text,
  ADD COLUMN approved_at timestamptz;
UPDATE index_values SET proposed_by = set_by, proposed_at = set_at, approved_by = set_by, approved_at = set_at;
ALTER TABLE index_values ADD CONSTRAINT index_values_has_a_value CHECK (value_fen IS NOT NULL OR proposed_value_fen IS NOT NULL);

-- Down Migration
ALTER TABLE index_values DROP CONSTRAINT index_values_has_a_value;
DELETE FROM index_values WHERE value_fen IS NULL;
ALTER TABLE index_values DROP COLUMN proposed_value_fen, DROP COLUMN proposed_by, DROP COLUMN proposed_at, DROP COLUMN approved_by, DROP COLUMN approved_at;
ALTER TABLE index_values ALTER COLUMN value_fen SET NOT NULL;
