/**
 * Builds the production bundles (bundleWorkflowCode) the workers prefer in production: workflows/index.ts
 * for the workflows worker, and each workflows/<folder>/workflow.ts a service runs on its own worker
 * (services/lib/temporal.ts `workflowBundleFor` names them).
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workflowBundleFor } from '../../services/lib/temporal';

const workflows = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../workflows');
const sources = [
  path.join(workflows, 'index.ts'),
  ...readdirSync(workflows, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(workflows, d.name, 'workflow.ts')))
    .map((d) => path.join(workflows, d.name, 'workflow.ts')),
];
for (const workflowsPath of sources) {
  const { code } = await bundleWorkflowCode({ workflowsPath });
  const out = workflowBundleFor(workflowsPath);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}
