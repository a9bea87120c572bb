-- Up Migration

-- A draft (or approved version) that will not be published is DISCARDED: kept for the record, never
-- looked up or published (an annual adjustment rejected by its approver). The two CHECKs it touches
-- were created unnamed in 0001; they are found by their definition.
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT conname FROM pg_constraint
            WHERE conrelid = 'versions'::regclass AND contype = 'c'
              AND (pg_get_constraintdef(oid) LIKE '%approved_by IS NOT NULL%' OR pg_get_constraintdef(oid) LIKE '%SUPERSEDED%')
  LOOP
    EXECUTE format('ALTER TABLE versions DROP CONSTRAINT %I', c.conname);
  END LOOP;
END $$;
ALTER TABLE versions ADD CONSTRAINT versions_status CHECK (status IN ('DRAFT', 'APPROVED', 'PUBLISHED', 'SUPERSEDED', 'DISCARDED'));
ALTER TABLE versions ADD CONSTRAINT versions_approved CHECK (status IN ('DRAFT', 'DISCARDED') OR approved_by IS NOT NULL);
ALTER TABLE versions ADD COLUMN discarded_by text, ADD COLUMN discarded_at timestamptz, ADD COLUMN discard_reason text;
ALTER TABLE versions ADD CONSTRAINT versions_discarded CHECK ((status = 'DISCARDED') = (discarded_by IS NOT NULL));

-- Down Migration
ALTER TABLE versions DROP CONSTRAINT versions_discarded;
ALTER TABLE versions DROP COLUMN discarded_by, DROP COLUMN discarded_at, DROP COLUMN discard_reason;
ALTER TABLE versions DROP CONSTRAINT versions_approved;
ALTER TABLE versions DROP CONSTRAINT versions_status;
ALTER TABLE versions ADD CHECK (status IN ('DRAFT', 'APPROVED', 'PUBLISHED', 'SUPERSEDED'));
ALTER TABLE versions ADD CHECK (status = 'DRAFT' OR approved_by IS NOT NULL);
