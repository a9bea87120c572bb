/**
 * Every cross-service workflow the `workflows` worker runs (queue `workflows`). Each workflow lives
 * in its own folder (`workflows/<name>/workflow.ts`) and is re-exported here. A workflow whose
 * steps are all one service's local activities runs on that service's own worker instead
 * (`ServiceParts.workflowsPath`): workflows/settlement on the settlement service, workflows/resettlement
 * (`resettlement-case:{caseId}`) on the resettlement service.
 */
export * from './adjustment/workflow';
export * from './statements/workflow';
