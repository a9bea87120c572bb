/**
 * Starts every service under services/ (each folder with an index.ts exporting a ServiceModule) and
 * the workflows worker (workflows/worker.ts) in this process, prints their endpoints,
 * and stops them all cleanly on Ctrl-C / SIGTERM.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startCodecEndpoint, startService, type RunningService, type ServiceModule } from '../../services/lib/runtime';
import { loadConfig } from '../../services/lib/config';
import { devToken } from '../../services/lib/dev-issuer';
import { startGatewayFromEnv } from '../../services/gateway/main';
import { startWorkflowsWorker } from '../../workflows/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const isModule = (v: unknown): v is ServiceModule =>
  typeof v === 'object' && v !== null && 'name' in v && 'defaultPort' in v && 'build' in v;

async function discover(): Promise<ServiceModule[]> {
  const dirs = readdirSync(path.join(root, 'services'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'lib' && existsSync(path.join(root, 'services', d.name, 'index.ts')))
    .map((d) => d.name);
  const mods: ServiceModule[] = [];
  for (const d of dirs) {
    const m = (await import(pathToFileURL(path.join(root, 'services', d, 'index.ts')).href)) as Record<string, unknown>;
    const found = Object.values(m).find(isModule);
    if (found) mods.push(found);
  }
  return mods.sort((a, b) => a.defaultPort - b.defaultPort);
}

async function main() {
  const cfg = loadConfig({});
  const running: { name: string; stop: () => Promise<void>; line: string }[] = [];
  const stopAll = async () => {
    for (const r of running.reverse()) await r.stop().catch((e: unknown) => console.error(`${r.name}: ${String(e)}`));
  };
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    stopAll().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    for (const mod of await discover()) {
      const svc: RunningService = await startService(mod);
      running.push({ name: mod.name, stop: svc.stop, line: `${mod.name.padEnd(14)} gRPC 127.0.0.1:${svc.grpcPort}   metrics http://127.0.0.1:${svc.metricsPort}/metrics` });
    }
    const codec = await startCodecEndpoint();
    running.push({ name: 'codec', stop: codec.stop, line: `${'codec'.padEnd(14)} Temporal payload codec http://127.0.0.1:${codec.port} (${codec.anonymous ? 'development: no login needed' : 'auditor / approver tokens only'})` });
    const gw = await startGatewayFromEnv();
    running.push({ name: 'gateway', stop: gw.stop, line: `${'gateway'.padEnd(14)} JSON ${gw.url}/v1/<package>.<Service>/<Method>   OpenAPI ${gw.url}/docs\n  ${'console'.padEnd(14)} ${gw.url}/console/ (staff console; development sign-in)` });
    const w = await startWorkflowsWorker();
    running.push({ name: w.name, stop: w.stop, line: `${w.name.padEnd(14)} Temporal worker, task queue "${w.taskQueue}" (${w.workflows})   metrics http://127.0.0.1:${w.metricsPort}/metrics` });
  } catch (err) {
    console.error('start failed:', err);
    await stopAll();
    process.exit(1);
  }
  const clerk = await devToken({ subject: 'dev-clerk', role: 'clerk' }, 8 * 3600);
  console.log(`
Youfu is running (Ctrl-C stops everything):
${running.map((r) => `  ${r.line}`).join('\n') || '  (no services yet)'}
  PostgreSQL     ${cfg.YOUFU_PG_ADMIN_URL}
  Kafka          ${cfg.YOUFU_KAFKA_BROKERS.join(',')}
  Temporal       ${cfg.YOUFU_TEMPORAL_ADDRESS} namespace ${cfg.YOUFU_TEMPORAL_NAMESPACE}, Web UI http://127.0.0.1:8233

A development token (role clerk, 8 h): ${clerk}
Others: npm run token -- <clerk|approver|auditor|service|hospital> <subject>
`);
}

void main();
