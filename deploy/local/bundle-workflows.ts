/** Builds the production bundle of workflows/index.ts (bundleWorkflowCode), which workflows/worker.ts then prefers. */
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKFLOW_BUNDLE } from '../../workflows/worker';

const here = path.dirname(fileURLToPath(import.meta.url));
const { code } = await bundleWorkflowCode({ workflowsPath: path.join(here, '../../workflows/index.ts') });
mkdirSync(path.dirname(WORKFLOW_BUNDLE), { recursive: true });
writeFileSync(WORKFLOW_BUNDLE, code);
console.log(`workflow bundle: ${WORKFLOW_BUNDLE} (${(code.length / 1024).toFixed(0)} KiB)`);
