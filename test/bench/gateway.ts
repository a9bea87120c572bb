/**
 * The gateway's doors beside the direct gRPC call, in the same run: Settle of a bill (an uncapped
 * grade-3 disabled serviceman, fund 350100) through gRPC, the JSON door, the national envelope
 * (Y2304) and the FHIR facade (Claim), the calls interleaved (gRPC, JSON, national, FHIR, gRPC, …)
 * so drift of the machine falls on every door alike; p50 / p99 per door and what each door adds:
 * as the difference of the distributions, and per call (what the client waited minus what the
 * gateway waited on the services, from its Server-Timing header: the door's own work and the hop).
 *   npx tsx test/bench/gateway.ts [--bills 300]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { idGenerator, movableClock, pbDate, disabled } from '../persons/support';
import { bill, designate, registerPerson, startSettlementStack } from '../settlement/support';
import { gatewayEnvFor, jsonBill } from '../gateway/support';
import { eventually, uniqueId } from '../support/env';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const { values } = parseArgs({ options: { bills: { type: 'string', default: '300' } } });
const N = Number(values.bills);
const { clock } = movableClock('2026-06-20');
const s = await startSettlementStack('bench_gateway', clock);
const H = `HB${uniqueId('g').replace(/\W/g, '').slice(-8)}`;
const his = await designate(s, H);
const patient = idGenerator(4242)();
await registerPerson(s, patient, { identities: [{ attributes: disabled(3), effectiveFrom: pbDate('2021-01-10') }] });
// The gateway in a process of its own, as in production (the services and this client share this one).
const port = 18_000 + Math.floor(Math.random() * 1000);
const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'services/gateway/main.ts')], {
  env: { ...process.env, ...gatewayEnvFor(s, { YOUFU_LOG_LEVEL: 'error', YOUFU_GATEWAY_PORT: String(port), YOUFU_GATEWAY_RATE: '100000', YOUFU_GATEWAY_BURST: '100000' }) },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const gw = { url: `http://127.0.0.1:${port}`, stop: async () => void child.kill('SIGTERM') };
await eventually(async () => ((await fetch(`${gw.url}/healthz`).catch(() => undefined))?.ok ? true : undefined), 60_000, 'gateway up');
const auth = { authorization: `Bearer ${his}` };

/** POSTs and returns the ms the gateway spent waiting on the services (its Server-Timing `backend`). */
const post = async (path: string, type: string, body: unknown) => {
  const r = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': type }, body: JSON.stringify(body) });
  const text = await r.text();
  if (r.status !== 200 || text.includes('"infcode":-1')) throw new Error(`${path}: ${r.status} ${text.slice(0, 300)}`);
  return Number(/backend;dur=([\d.]+)/.exec(r.headers.get('server-timing') ?? '')?.[1] ?? NaN);
};
/** The four doors for Settle (`quote` false) or PreSettle (true). */
const doorsFor = (quote: boolean): Record<string, (billNo: string) => Promise<unknown>> => ({
  gRPC: (billNo) => (quote ? s.client.preSettle(bill(H, billNo, patient), his) : s.client.settle(bill(H, billNo, patient), his)),
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
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
/** Interleaved calls of every door, `n` each; p50 / p99 and what each adds to gRPC's. */
async function run(label: string, doors: Record<string, (billNo: string) => Promise<unknown>>, n: number) {
  const lat = new Map(Object.keys(doors).map((d) => [d, [] as number[]]));
  /** Per call: what the client waited minus what the gateway waited on the services. */
  const added = new Map(Object.keys(doors).map((d) => [d, [] as number[]]));
  // Warm-up (connections, the JIT), not measured.
  for (let i = 0; i < 10; i++) for (const f of Object.values(doors)) await f(uniqueId('warm'));
  for (let i = 0; i < n; i++) {
    for (const [d, f] of Object.entries(doors)) {
      const t = performance.now();
      const backend = await f(uniqueId('b'));
      const ms = performance.now() - t;
      lat.get(d)!.push(ms);
      if (typeof backend === 'number') added.get(d)!.push(ms - backend);
    }
  }
  const direct = lat.get('gRPC')!;
  console.log(`\n${label}, ${n} calls per door, one caller, interleaved (ms):`);
  console.log(`${'door'.padEnd(18)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} │ p50 − gRPC's, p99 − gRPC's │ added per call: p50, p99`);
  for (const [d, xs] of lat) {
    const diff = (p: number) => (d === 'gRPC' ? '' : (pct(xs, p) - pct(direct, p)).toFixed(2));
    const own = added.get(d)!;
    const per = (p: number) => (own.length ? pct(own, p).toFixed(2) : '');
    console.log(`${d.padEnd(18)} ${pct(xs, 50).toFixed(2).padStart(7)} ${pct(xs, 99).toFixed(2).padStart(7)} │ ${diff(50).padStart(7)} ${diff(99).padStart(7)}           │ ${per(50).padStart(7)} ${per(99).padStart(7)}`);
  }
}

try {
  // PreSettle first: a fast call (no workflow), so what a door adds is not lost in Settle's spread.
  await run('PreSettle (a quote)', doorsFor(true), N * 2);
  await run('Settle', doorsFor(false), N);
  console.log('\ntarget: ≤ 5 ms added at p99');
} finally {
  await gw.stop();
  await s.stop();
}
