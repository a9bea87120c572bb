import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workflowBundleFor } from './temporal';

describe('workflowBundleFor', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  it('names the bundle of the workflows worker and of a service’s own workflow apart', () => {
    expect(workflowBundleFor(path.join(root, 'workflows/index.ts'))).toBe(path.join(root, '.local/build/workflows-bundle.js'));
    expect(workflowBundleFor(path.join(root, 'workflows/settlement/workflow.ts'))).toBe(path.join(root, '.local/build/workflows-settlement-bundle.js'));
  });
});
