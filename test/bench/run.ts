/**
 * npm run bench: runs every benchmark in test/bench/ one after another (each prints its numbers).
 * Pass names to run a subset: npm run bench -- outbox standards-lookup
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .filter((b) => !wanted.length || wanted.includes(b));
/** The adjustment bench runs every service in one process: its heap is capped to show the whole stays within 500 MB. */
const NODE_ARGS: Record<string, string[]> = { adjustment: ['--max-old-space-size=320'] };
let failed = 0;
for (const b of benches) {
  console.log(`\n=== ${b}`);
  const r = spawnSync(process.execPath, [...(NODE_ARGS[b] ?? []), '--import', 'tsx', path.join(here, `${b}.ts`)], { stdio: 'inherit', env: { YOUFU_ENV: 'test', ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' } });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
