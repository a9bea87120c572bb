/**
 * 10,000 generated bad requests to the three doors (issue 12): each is a valid request (JSON door
 * Settle, national Y2304, FHIR Claim) with at least one defect that must be refused before any write
 * — malformed JSON, an unknown field, a wrong type, three decimals, a negative amount, an unknown
 * code or resource, a missing or garbage token, a wrong content type — plus random noise. Every
 * answer must be < 500 in the door's own error format, and nothing may be written.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../services/gateway/server';
import { idGenerator, movableClock } from '../persons/support';
import { uniqueId } from '../support/env';
import type { SettlementStack } from '../settlement/support';
import { hospitalCode, jsonBill, startGatewayStack } from './support';

const SEED = 12_012;
const CASES = 10_000;
const gen = idGenerator(9601);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Case {
  door: 'json' | 'national' | 'fhir';
  defect: string;
  path: string;
  body: string;
  headers: Record<string, string>;
}

describe('10,000 bad requests to the JSON, national and FHIR doors', () => {
  const { clock } = movableClock('2026-06-20');
  let s: SettlementStack;
  let gw: RunningGateway;
  let his: string;
  const H = hospitalCode('fz');
  const patient = gen();
  const writes = async () =>
    Number((await s.settlement.pool.query<{ n: string }>('SELECT (SELECT count(*) FROM settlement_requests) + (SELECT count(*) FROM settlements) AS n')).rows[0]!.n);

  const bases = () => {
    const billNo = uniqueId('fz');
    return {
      json: {
        path: '/v1/youfu.settlement.v1.MedicalSettlementService/Settle',
        type: 'application/json',
        body: jsonBill(H, billNo, patient) as Json,
      },
      national: {
        path: '/national/v1',
        type: 'application/json',
        body: {
          infno: 'Y2304', msgid: uniqueId('msg'), mdtrtarea_admvs: '440100', recer_sys_code: 'YOUFU', infver: 'V1.0', opter: 'cashier', inf_time: '2026-06-20 10:00:00', fixmedins_code: H,
          input: { data: { medins_setl_id: billNo, certno: patient.id, psn_name: '张三', med_type: '21', begndate: '2026-06-01', enddate: '2026-06-10', medfee_sumamt: 10000, inscp_scp_amt: 9000, hifp_pay: 5000 } },
        } as Json,
      },
      fhir: {
        path: '/fhir/R4/Claim',
        type: 'application/fhir+json',
        body: {
          resourceType: 'Claim', status: 'active', identifier: [{ system: 'urn:youfu:sid:bill-no', value: billNo }],
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }] }, use: 'claim',
          patient: { identifier: { system: 'urn:youfu:sid:national-id', value: patient.id }, display: '张三' }, billablePeriod: { start: '2026-06-01', end: '2026-06-10' },
          created: '2026-06-10', provider: { identifier: { system: 'urn:youfu:sid:hospital-code', value: H } }, priority: { coding: [{ code: 'normal' }] },
          insurance: [{ sequence: 1, focal: true, coverage: { display: 'youfu' } }], total: { value: 10000, currency: 'CNY' },
          supportingInfo: [{ sequence: 1, category: { coding: [{ system: 'urn:youfu:cs:bill-amount', code: 'in-scope' }] }, valueQuantity: { value: 9000 } }],
        } as Json,
      },
    };
  };

  /** Paths to every leaf and object of a JSON value. */
  const nodes = (v: Json, at: (string | number)[] = []): { at: (string | number)[]; v: Json }[] =>
    [{ at, v }, ...(v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => nodes(x as Json, [...at, Array.isArray(v) ? Number(k) : k])) : [])];
  const setAt = (root: Json, at: (string | number)[], value: Json | undefined): Json => {
    if (!at.length) return value ?? null;
    const copy = structuredClone(root) as any;
    let o = copy;
    for (const k of at.slice(0, -1)) {
      // Noise may have replaced a parent with a scalar: the defect still lands.
      if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
      o = o[k];
    }
    if (value === undefined) delete o[at.at(-1)!];
    else o[at.at(-1)!] = value;
    return copy;
  };
  /** A value of another JSON type than `v` (refused wherever `v`'s type is required). */
  const otherType = (v: Json, pick: number): Json => {
    const choices: Json[] = typeof v === 'string' ? [{}, [], true] : typeof v === 'number' ? [{}, [], true] : typeof v === 'boolean' ? ['yes', {}, []] : Array.isArray(v) ? [{}, 'x', 7] : v === null ? [{}] : [7, 'x', true, []];
    return choices[pick % choices.length]!;
  };

  const caseArb = (base: ReturnType<typeof bases>) =>
    fc.record({
      door: fc.constantFrom('json' as const, 'national' as const, 'fhir' as const),
      defect: fc.constantFrom('truncated', 'garbage', 'unknown-field', 'wrong-type', 'three-decimals', 'negative', 'unknown-code', 'no-token', 'bad-token', 'content-type', 'not-an-object'),
      pick: fc.nat(),
      pick2: fc.nat(),
      noise: fc.array(fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 }),
    }).map(({ door, defect, pick, pick2, noise }): Case => {
      const b = base[door];
      let body: Json = b.body;
      // Noise first (anything at all), then the defect that must be refused.
      for (const [n, value] of noise) {
        const all = nodes(body).filter((x) => x.at.length > 0);
        body = setAt(body, all[n % all.length]!.at, value as Json);
      }
      const headers: Record<string, string> = { 'content-type': b.type, authorization: `Bearer ${his}` };
      const leaves = nodes(body).filter((x) => x.at.length > 0 && (x.v === null || typeof x.v !== 'object'));
      const objects = nodes(body).filter((x) => x.v !== null && typeof x.v === 'object' && !Array.isArray(x.v));
      let text: string | undefined;
      switch (defect) {
        case 'truncated': {
          const t = JSON.stringify(body);
          text = t.slice(0, 1 + (pick % (t.length - 1)));
          break;
        }
        case 'garbage': {
          const t = JSON.stringify(body);
          const at = pick % t.length;
          text = `${t.slice(0, at)}\u0001{]${t.slice(at)}`;
          break;
        }
        case 'unknown-field': {
          const o = objects[pick % objects.length]!;
          body = setAt(body, [...o.at, `zz_unknown_${pick2 % 100}`], pick2);
          break;
        }
        case 'wrong-type': {
          if (!leaves.length) return { door, defect: 'not-an-object', path: b.path, body: '[]', headers };
          const l = leaves[pick % leaves.length]!;
          body = setAt(body, l.at, otherType(l.v, pick2));
          break;
        }
        case 'three-decimals':
        case 'negative': {
          const amount = door === 'json' ? ['bill', 'totalCost', 'fen'] : door === 'national' ? ['input', 'data', 'medfee_sumamt'] : ['total', 'value'];
          // 100.123, 100.133, …: always a third decimal (fen as a decimal at the JSON door).
          const v = defect === 'negative' ? (door === 'json' ? '-1' : -1) : door === 'json' ? '100.5' : (100_123 + 10 * (pick % 50)) / 1000;
          body = setAt(body, amount, v);
          break;
        }
        case 'unknown-code':
          return { door, defect, path: door === 'json' ? `${b.path}Twice` : b.path, body: JSON.stringify(door === 'national' ? setAt(body, ['infno'], `Z${pick % 9999}`) : door === 'fhir' ? setAt(body, ['resourceType'], 'Observation') : body), headers };
        case 'no-token':
          delete headers.authorization;
          break;
        case 'bad-token':
          headers.authorization = `Bearer ${['x', 'eyJhbGciOiJub25lIn0.e30.', his.slice(0, -3) + 'abc'][pick % 3]}`;
          break;
        case 'content-type':
          headers['content-type'] = ['text/plain', 'application/xml', 'multipart/form-data'][pick % 3]!;
          break;
        case 'not-an-object':
          text = JSON.stringify([null, 'x', 7, [body]][pick % 4]);
          break;
      }
      return { door, defect, path: b.path, body: text ?? JSON.stringify(body), headers };
    });

  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ s, gw, his, stop } = await startGatewayStack('gateway_fuzz', clock, H, [patient], { env: { YOUFU_GATEWAY_RATE: '1000000', YOUFU_GATEWAY_BURST: '1000000' } }));
  }, 120_000);
  afterAll(async () => stop?.());

  it('answers every one below 500 in the door’s own error format and writes nothing', async () => {
    const before = await writes();
    const cases = fc.sample(caseArb(bases()), { numRuns: CASES, seed: SEED });
    const failures: { c: Case; status: number; text: string }[] = [];
    const statuses = new Map<number, number>();
    const byDefect = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const res = await fetch(`${gw.url}${c.path}`, { method: 'POST', headers: c.headers, body: c.body });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        byDefect.set(`${c.door}/${c.defect}`, (byDefect.get(`${c.door}/${c.defect}`) ?? 0) + 1);
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const format =
          c.door === 'json' ? typeof json?.error?.reason === 'string' : c.door === 'national' ? json?.infcode === -1 && typeof json?.err_reason === 'string' : json?.resourceType === 'OperationOutcome';
        if (res.status >= 500 || res.status < 400 || !format) failures.push({ c, status: res.status, text: text.slice(0, 300) });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const report = failures.slice(0, 5).map((f) => `${f.status} ${f.c.door}/${f.c.defect} ${f.c.path} ${f.c.body.slice(0, 2000)} → ${f.text}`);
    expect(failures.length, `${failures.length} bad answers, e.g.\n${report.join('\n')}`).toBe(0);
    expect([...statuses.keys()].every((k) => k >= 400 && k < 500)).toBe(true);
    expect(byDefect.size).toBe(33); // every defect reached every door
    expect(await writes()).toBe(before);
  }, 600_000);
});
