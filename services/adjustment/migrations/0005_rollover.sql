-- Up Migration

-- January roll-overs (issue 10): a run applies an approved index value instead of a standards
-- version; a wage's approval records the roll-over it calls for.
ALTER TABLE runs ALTER COLUMN version_id DROP NOT NULL;
ALTER TABLE runs ADD COLUMN kind text NOT NULL DEFAULT 'STANDARDS' CHECK (kind IN ('STANDARDS', 'NURSING_ROLLOVER'));
ALTER TABLE pending_items DROP CONSTRAINT pending_items_kind_check;
ALTER TABLE pending_items ADD CONSTRAINT pending_items_kind_check CHECK (kind IN ('ADJUSTMENT_DUE', 'APPROVAL_OVERDUE', 'ROLLOVER_DUE'));

-- Down Migration
DELETE FROM pending_items WHERE kind = 'ROLLOVER_DUE';
ALTER TABLE pending_items DROP CONSTRAINT pending_items_kind_check;
ALTER TABLE pending_items ADD CONSTRAINT pending_items_kind_check CHECK (kind IN ('ADJUSTMENT_DUE', 'APPROVAL_OVERDUE'));
DELETE FROM runs WHERE kind = 'NURSING_ROLLOVER';
ALTER TABLE runs DROP COLUMN kind;
ALTER TABLE runs ALTER COLUMN version_id SET NOT NULL;
