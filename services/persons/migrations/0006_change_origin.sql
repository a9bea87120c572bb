-- Up Migration

-- Where a registration was proposed from (`<system>:<id>`, e.g. `resettlement:<case id>:1`): one
-- change request per origin, so a caller that repeats its call finds the first.
ALTER TABLE change_requests ADD COLUMN origin text UNIQUE;

-- Down Migration
ALTER TABLE change_requests DROP COLUMN origin;
