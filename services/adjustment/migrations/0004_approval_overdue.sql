-- Up Migration

-- A simulated run that waits for its approver past the reminder period (issue 10).
ALTER TABLE pending_items DROP CONSTRAINT pending_items_kind_check;
ALTER TABLE pending_items ADD CONSTRAINT pending_items_kind_check CHECK (kind IN ('ADJUSTMENT_DUE', 'APPROVAL_OVERDUE'));

-- Down Migration
DELETE FROM pending_items WHERE kind = 'APPROVAL_OVERDUE';
ALTER TABLE pending_items DROP CONSTRAINT pending_items_kind_check;
ALTER TABLE pending_items ADD CONSTRAINT pending_items_kind_check CHECK (kind IN ('ADJUSTMENT_DUE'));
