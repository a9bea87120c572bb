/**
 * The workflows worker: cross-service workflows on task queue `workflows`. `npm start` runs it;
 * in production run it as its own process (`tsx workflows/worker.ts`), after `npm run
 * build:workflows` made the bundle it then prefers to the sources.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runWorker, startWorker, type StartOverrides, type WorkerModule } from '../services/lib/runtime';
import { workflowBundleFor } from '../services/lib/temporal';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The production bundle `npm run build:workflows` writes. */
export const WORKFLOW_BUNDLE = workflowBundleFor(path.join(here, 'index.ts'));

export const workflowsWorker: WorkerModule = {
  name: 'workflows',
  taskQueue: 'workflows',
  workflowsPath: path.join(here, 'index.ts'),
  workflowBundlePath: WORKFLOW_BUNDLE,
  defaultMetricsPort: 8235,
};

/** Starts the workflows worker in this process (npm start, tests); overrides pick the queue and sources. */
export function startWorkflowsWorker(o: StartOverrides & Partial<Pick<WorkerModule, 'taskQueue' | 'workflowsPath' | 'workflowBundlePath' | 'activities'>> = {}) {
  const { env, clock, ...mod } = o;
  return startWorker({ ...workflowsWorker, ...mod }, { ...(env ? { env } : {}), ...(clock ? { clock } : {}) });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) runWorker(workflowsWorker);
