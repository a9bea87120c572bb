/**
 * The gateway's doors beside the direct gRPC call, in the same run: Settle of a bill (an uncapped
 * grade-3 disabled serviceman, fund 350100) through gRPC, the JSON door, the national envelope
 * (Y2304) and the FHIR facade (Claim), the calls interleaved (gRPC, JSON, national, FHIR, gRPC, …)
 * so drift of the machine falls on every door alike; p50 / p99 per door and what each door adds:
 * as the difference of the distributions, and per call (what the client waited minus what the
 * gateway waited on the services, from its Server-Timing header), split into the gateway's own
 * work and the hop; beside them the HTTP floor, the gateway's /healthz on the same connections.
 * The services, the gateway and the caller each run in a process of their own.
 *   npx tsx test/bench/gateway.ts [--bills 300]
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MedicalSettlementServiceService } from '../../protos/gen/youfu/settlement/v1/settlement';
import { createUnaryClient } from '../../services/lib/grpc';
import { idGenerator, movableClock, pbDate, disabled, type GeneratedId } from '../persons/support';
import { bill, designate, registerPerson, startSettlementStack } from '../settlement/support';
import { gatewayEnvFor, jsonBill } from '../gateway/support';
import { eventually, uniqueId } from '../support/env';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const { values } = parseArgs({ options: { bills: { type: 'string', default: '300' } } });
const N = Number(values.bills);

/** What the client process is given: where the doors are, and who calls. */
interface ClientConfig {
  url: string;
  settlement: string;
  his: string;
  H: string;
  patient: GeneratedId;
}
const CLIENT = 'YOUFU_BENCH_GATEWAY_CLIENT';

if (process.env[CLIENT]) await measure(JSON.parse(process.env[CLIENT]) as ClientConfig);
else await host();

/**
 * The stack and the gateway, each in a process of its own as in production, and the caller in a
 * third (a hospital's system is not in the services' process: its event loop must not wait on theirs).
 */
async function host() {
  const { clock } = movableClock('2026-06-20');
  const s = await startSettlementStack('bench_gateway', clock);
  const H = `HB${uniqueId('g').replace(/\W/g, '').slice(-8)}`;
  const his = await designate(s, H);
  const patient = idGenerator(4242)();
  await registerPerson(s, patient, { identities: [{ attributes: disabled(3), effectiveFrom: pbDate('2021-01-10') }] });
  const port = 18_000 + Math.floor(Math.random() * 1000);
  const gateway = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'services/gateway/main.ts')], {
    env: { ...process.env, ...gatewayEnvFor(s, { YOUFU_LOG_LEVEL: 'error', YOUFU_GATEWAY_PORT: String(port), YOUFU_GATEWAY_RATE: '100000', YOUFU_GATEWAY_BURST: '100000' }) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok ? true : undefined), 60_000, 'gateway up');
    const config: ClientConfig = { url, settlement: s.address, his, H, patient };
    const caller = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--bills', String(N)], { env: { ...process.env, [CLIENT]: JSON.stringify(config) }, stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => caller.on('exit', resolve));
    if (code !== 0) throw new Error(`the client process exited with ${code}`);
  } finally {
    gateway.kill('SIGTERM');
    await s.stop();
  }
}

async function measure({ url, settlement, his, H, patient }: ClientConfig) {
const client = createUnaryClient(MedicalSettlementServiceService, settlement);
const auth = { authorization: `Bearer ${his}` };

/** POSTs and returns its Server-Timing: the ms the gateway spent on the request, and waiting on the services. */
// Node's own HTTP client on kept-alive connections, as lean as a HIS's: fetch (undici) alone adds a
// millisecond or more at p99 on this machine, which is the client's, not the door's.
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const target = new URL(url);
/** POSTs `body` (or GETs without one). */
const post = (path: string, type: string, body?: unknown) =>
  new Promise<{ backend: number; gateway: number }>((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, path, method: body === undefined ? 'GET' : 'POST', agent, headers: { ...auth, 'content-type': type } }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (r.statusCode !== 200 || text.includes('"infcode":-1')) return reject(new Error(`${path}: ${r.statusCode} ${text.slice(0, 300)}`));
        const timing = String(r.headers['server-timing'] ?? '');
        const dur = (name: string) => Number(new RegExp(`${name};dur=([\\d.]+)`).exec(timing)?.[1] ?? NaN);
        resolve({ backend: dur('backend'), gateway: dur('gateway') });
      });
      r.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
/** The four doors for Settle (`quote` false) or PreSettle (true). */
const doorsFor = (quote: boolean): Record<string, (billNo: string) => Promise<unknown>> => ({
  // The floor of any door here: the gateway's HTTP round trip doing nothing (its /healthz).
  'HTTP floor': () => post('/healthz', 'application/json'),
  gRPC: (billNo) => (quote ? client.preSettle(bill(H, billNo, patient), his) : client.settle(bill(H, billNo, patient), his)),
  'JSON door': (billNo) => post(`/v1/youfu.settlement.v1.MedicalSettlementService/${quote ? 'PreSettle' : 'Settle'}`, 'application/json', jsonBill(H, billNo, patient)),
  [`national ${quote ? 'Y2303' : 'Y2304'}`]: (billNo) =>
    post('/national/v1', 'application/json', {
      infno: quote ? 'Y2303' : 'Y2304', msgid: uniqueId('m'), mdtrtarea_admvs: '440100', recer_sys_code: 'YOUFU', infver: 'V1.0', opter: 'bench', inf_time: '2026-06-20 10:00:00', fixmedins_code: H,
      input: { data: { medins_setl_id: billNo, certno: patient.id, psn_name: '张三', med_type: '21', begndate: '2026-06-01', enddate: '2026-06-10', medfee_sumamt: 10000, inscp_scp_amt: 9000, hifp_pay: 5000 } },
    }),
  'FHIR Claim': (billNo) =>
    post('/fhir/R4/Claim', 'application/fhir+json', {
      resourceType: 'Claim', status: 'active', identifier: [{ system: 'urn:youfu:sid:bill-no', value: billNo }],
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }] }, use: quote ? 'preauthorization' : 'claim',
      patient: { identifier: { system: 'urn:youfu:sid:national-id', value: patient.id }, display: '张三' }, billablePeriod: { start: '2026-06-01', end: '2026-06-10' },
      created: '2026-06-10', provider: { identifier: { system: 'urn:youfu:sid:hospital-code', value: H } }, priority: { coding: [{ code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { display: 'youfu' } }], total: { value: 10000, currency: 'CNY' },
      supportingInfo: [
        { sequence: 1, category: { coding: [{ system: 'urn:youfu:cs:bill-amount', code: 'in-scope' }] }, valueQuantity: { value: 9000 } },
        { sequence: 2, category: { coding: [{ system: 'urn:youfu:cs:bill-amount', code: 'basic-insurance' }] }, valueQuantity: { value: 5000 } },
      ],
    }),
});
const isTiming = (t: unknown): t is { backend: number; gateway: number } => typeof t === 'object' && t !== null && 'backend' in t;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
/** Interleaved calls of every door, `n` each; p50 / p99 and what each adds to gRPC's. */
async function run(label: string, doors: Record<string, (billNo: string) => Promise<unknown>>, n: number) {
  const lat = new Map(Object.keys(doors).map((d) => [d, [] as number[]]));
  /** Per call: what the client waited minus what the gateway waited on the services; of it, the gateway's own work, and the hop (client and network). */
  const added = new Map(Object.keys(doors).map((d) => [d, [] as number[]]));
  const inGateway = new Map(Object.keys(doors).map((d) => [d, [] as number[]]));
  const hop = new Map(Object.keys(doors).map((d) => [d, [] as number[]]));
  // Warm-up (connections, the JIT), not measured.
  for (let i = 0; i < 10; i++) for (const f of Object.values(doors)) await f(uniqueId('warm'));
  for (let i = 0; i < n; i++) {
    for (const [d, f] of Object.entries(doors)) {
      const t = performance.now();
      const timing = await f(uniqueId('b'));
      const ms = performance.now() - t;
      lat.get(d)!.push(ms);
      if (isTiming(timing)) {
        added.get(d)!.push(ms - timing.backend);
        inGateway.get(d)!.push(timing.gateway - timing.backend);
        hop.get(d)!.push(ms - timing.gateway);
      }
    }
  }
  const direct = lat.get('gRPC')!;
  console.log(`\n${label}, ${n} calls per door, one caller, interleaved (ms):`);
  console.log(`${'door'.padEnd(18)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} │ p50 − gRPC's, p99 − gRPC's │ added per call: p50, p99 │ in the gateway: p50, p99 │ the hop: p50, p99`);
  for (const [d, xs] of lat) {
    const diff = (p: number) => (d === 'gRPC' ? '' : (pct(xs, p) - pct(direct, p)).toFixed(2));
    const own = added.get(d)!;
    const of = (ys: number[]) => (ys.length ? `${pct(ys, 50).toFixed(2).padStart(7)} ${pct(ys, 99).toFixed(2).padStart(7)}` : ' '.repeat(15));
    console.log(`${d.padEnd(18)} ${pct(xs, 50).toFixed(2).padStart(7)} ${pct(xs, 99).toFixed(2).padStart(7)} │ ${diff(50).padStart(7)} ${diff(99).padStart(7)}           │ ${of(own)}          │ ${of(inGateway.get(d)!)}          │ ${of(hop.get(d)!)}`);
  }
}

try {
  // PreSettle first: a fast call (no workflow), so what a door adds is not lost in Settle's spread.
  await run('PreSettle (a quote)', doorsFor(true), N * 2);
  await run('Settle', doorsFor(false), N);
  console.log('\ntarget: ≤ 5 ms added at p99');
} finally {
  client.close();
  agent.destroy();
}
}
