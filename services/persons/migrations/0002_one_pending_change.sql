-- Up Migration
-- One open money change per person: approvers never face a queue of proposals already doomed to be
-- stale (approving one bumps the person's version). Proposals that would break the rule (made
-- before it existed) keep the oldest per person; the others are rejected with the reason recorded.
UPDATE change_requests c
   SET status = 'REJECTED', decided_by = 'migration', decided_at = clock_timestamp(),
       decision_note = 'superseded by an earlier pending change of the same person (one open change per person)'
 WHERE c.status = 'PROPOSED' AND c.person_id IS NOT NULL
   AND EXISTS (SELECT 1 FROM change_requests o
                WHERE o.person_id = c.person_id AND o.status = 'PROPOSED'
                  AND (o.proposed_at, o.id) < (c.proposed_at, c.id));
CREATE UNIQUE INDEX change_requests_one_pending_per_person ON change_requests (person_id)
  WHERE status = 'PROPOSED' AND person_id IS NOT NULL;

-- Down Migration
DROP INDEX change_requests_one_pending_per_person;
