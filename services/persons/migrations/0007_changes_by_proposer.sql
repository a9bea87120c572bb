-- Up Migration

-- "My proposals": a clerk's own change requests, newest first.
CREATE INDEX change_requests_by_proposer ON change_requests (proposed_by, proposed_at DESC, id DESC);

-- Down Migration
DROP INDEX change_requests_by_proposer;
