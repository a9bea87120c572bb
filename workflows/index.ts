/**
 * Every cross-service workflow the `workflows` worker runs (queue `workflows`). Each workflow lives
 * in its own folder (`workflows/<name>/workflow.ts`) and is re-exported here.
 */
export * from './settlement/workflow';
export * from './statements/workflow';
