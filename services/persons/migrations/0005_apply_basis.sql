-- Up Migration

-- What an apply applies (issue 10): a standards version (version_id = its id, lines
-- `adjustment:<id>`), or an approved index value's January roll-over (version_id = the key
-- `index:<kind>:<city>:<year>`, also the lines' source and the markers' key).
ALTER TABLE adjustment_applies ADD COLUMN basis text NOT NULL DEFAULT 'STANDARDS' CHECK (basis IN ('STANDARDS', 'INDEX'));

-- Down Migration
ALTER TABLE adjustment_applies DROP COLUMN basis;
