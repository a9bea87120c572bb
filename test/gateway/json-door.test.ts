import SwaggerParser from '@apidevtools/swagger-parser';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../services/gateway/server';
import { ImportPersonsRequest } from '../../protos/gen/youfu/persons/v1/persons';
import { idGenerator, importRecords, movableClock } from '../persons/support';
import { token, uniqueId } from '../support/env';
import { bill, designate, type SettlementStack } from '../settlement/support';
import { gatewayFor, hospitalCode, jsonBill, post, startGatewayStack } from './support';

const gen = idGenerator(9301);
const SETTLEMENT = '/v1/youfu.settlement.v1.MedicalSettlementService';

describe('the JSON door', () => {
  const { clock } = movableClock('2026-06-20');
  let s: SettlementStack;
  let gw: RunningGateway;
  let his: string;
  const H = hospitalCode('gw');
  const patient = gen();
  const requests = async () => Number((await s.settlement.pool.query<{ n: string }>('SELECT count(*) AS n FROM settlement_requests WHERE hospital = $1', [H])).rows[0]!.n);

  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ s, gw, his, stop } = await startGatewayStack('gateway_json', clock, H, [patient]));
  }, 120_000);
  afterAll(async () => stop?.());

  it('quotes and settles to the fen as the gRPC call does, answers a re-send with the first answer, and reverses', async () => {
    const grpcQuote = await s.client.preSettle(bill(H, uniqueId('q'), patient), his);
    const quote = await post(gw, `${SETTLEMENT}/PreSettle`, jsonBill(H, uniqueId('q'), patient), { token: his });
    expect(quote.status).toBe(200);
    expect(quote.json.result.funds).toEqual([expect.objectContaining({ fundCode: '610200', amount: { fen: grpcQuote.result!.funds[0]!.amount!.fen.toString() } })]);
    expect(quote.json.result.patientPays).toEqual({ fen: grpcQuote.result!.patientPays!.fen.toString() });

    const billNo = uniqueId('json');
    const settled = await post(gw, `${SETTLEMENT}/Settle`, jsonBill(H, billNo, patient), { token: his, headers: { 'x-request-id': 'his-req-1' } });
    expect(settled.status).toBe(200);
    expect(settled.headers.get('x-request-id')).toBe('his-req-1');
    expect(settled.json).toMatchObject({ settlementId: expect.any(String), period: '2026-06', result: { funds: [{ fundCode: '610200', amount: { fen: '320000' } }], capUsed: { fen: '320000' } } });
    const again = await post(gw, `${SETTLEMENT}/Settle`, jsonBill(H, billNo, patient), { token: his });
    expect(again.json).toEqual(settled.json);
    const reversed = await post(gw, `${SETTLEMENT}/Reverse`, { hospitalCode: H, billNo, reason: 'bill cancelled' }, { token: his });
    expect(reversed.status).toBe(200);
    expect(reversed.json).toMatchObject({ settlementId: settled.json.settlementId, released: { fen: '320000' } });
  });

  it('refuses bad input with the status, reason and field path, writing nothing', async () => {
    const before = await requests();
    const b = (extra: Record<string, unknown>) => jsonBill(H, uniqueId('bad'), patient, extra);
    const cases: [string, unknown, Record<string, string>, number, string, string?][] = [
      ['malformed JSON', '{"bill": {', {}, 400, 'MALFORMED_JSON'],
      ['an unknown field', b({ discount: { fen: '1' } }), {}, 400, 'INVALID_FIELD', 'bill.discount'],
      ['a wrong type', b({ totalCost: { fen: 'ten' } }), {}, 400, 'INVALID_FIELD', 'bill.totalCost.fen'],
      ['an unknown enum', b({ visitType: 'VISIT_TYPE_SPA' }), {}, 400, 'INVALID_FIELD', 'bill.visitType'],
      ['a bad ID number (the service’s own check)', b({ nationalId: '110101199001011234' }), {}, 400, 'INVALID_CHECK_CHARACTER', 'bill.nationalId'],
      ['a bill of another hospital', jsonBill('HOTHER00001', uniqueId('bad'), patient), {}, 403, 'HOSPITAL_MISMATCH'],
      ['no token', b({}), { authorization: '' }, 401, 'TOKEN_MISSING'],
      ['a form body', 'bill=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a body over the limit', { bill: { name: 'x'.repeat(70_000) } }, {}, 413, 'BODY_TOO_LARGE'],
    ];
    for (const [what, body, headers, status, reason, field] of cases) {
      const r = await post(gw, `${SETTLEMENT}/Settle`, body, { token: headers.authorization === '' ? undefined : his, headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'authorization')) });
      expect({ what, status: r.status, reason: r.json?.error?.reason }, r.text).toEqual({ what, status, reason });
      expect(r.json.error.requestId).toBe(r.headers.get('x-request-id'));
      if (field) expect(r.json.error.fieldViolations.map((v: { field: string }) => v.field), r.text).toContain(field);
    }
    expect(await requests()).toBe(before);
  });

  it('answers unknown paths 404 and other methods 405; staff RPCs refuse a hospital token 403', async () => {
    expect((await post(gw, '/v1/youfu.settlement.v1.MedicalSettlementService/Pay', {}, { token: his })).status).toBe(404);
    expect((await post(gw, '/v1/youfu.devtest.v1.ProbeService/Echo', {}, { token: his })).status).toBe(404);
    const get = await fetch(`${gw.url}${SETTLEMENT}/Settle`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const staff = await post(gw, `${SETTLEMENT}/ApproveStatement`, { hospitalCode: H, period: { year: 2026, month: 6 }, note: 'approved' }, { token: his });
    expect(staff.status).toBe(403);
    // Every RPC is there without gateway code: a persons read by a clerk.
    const clerk = await token('clerk', 'clerk-li');
    const listed = await post(gw, '/v1/youfu.persons.v1.EntitledPersonService/ListPersons', { page: { pageSize: 5 } }, { token: clerk });
    expect(listed.status).toBe(200);
    expect(Array.isArray(listed.json.persons)).toBe(true);
  });

  it('streams a client-streaming RPC (ImportPersons) from newline-delimited JSON, field paths prefixed with the line', async () => {
    const clerk = await token('clerk', 'clerk-li');
    const { records } = importRecords(3, { seed: 93_001 });
    const line = (item: object) => JSON.stringify(ImportPersonsRequest.toJSON({ item } as ImportPersonsRequest));
    const key = uniqueId('gw-import');
    const ndjson = [
      line({ $case: 'header', value: { idempotencyKey: key, description: 'legacy registry through the JSON door' } }),
      ...records.map((r) => line({ $case: 'record', value: r })),
      line({ $case: 'end', value: { recordCount: records.length } }),
    ].join('\n');
    const r = await post(gw, '/v1/youfu.persons.v1.EntitledPersonService/ImportPersons', ndjson, { token: clerk, headers: { 'content-type': 'application/x-ndjson' } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.summary).toMatchObject({ accepted: 3, rejected: 0, complete: true });
    expect(r.json.results.map((x: { row: number }) => x.row)).toEqual([1, 2, 3]);
    // A wrong type on line 3 (the second record) names the line and the field; nothing was imported.
    const bad = ndjson.split('\n');
    bad[2] = bad[2]!.replace(/"row":\s*2/, '"row":"two"');
    const refused = await post(gw, '/v1/youfu.persons.v1.EntitledPersonService/ImportPersons', bad.join('\n').replace(key, `${key}-b`), { token: clerk, headers: { 'content-type': 'application/x-ndjson' } });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.json.error.fieldViolations[0].field).toBe('[2].record.row');
  });

  it('limits each caller to its rate with 429 and Retry-After, other callers unaffected', async () => {
    const small = await gatewayFor(s, { YOUFU_GATEWAY_RATE: '0.5', YOUFU_GATEWAY_BURST: '2' });
    try {
      const ask = (t: string) => post(small, `${SETTLEMENT}/PreSettle`, jsonBill(H, uniqueId('rl'), patient), { token: t });
      expect((await ask(his)).status).toBe(200);
      expect((await ask(his)).status).toBe(200);
      const limited = await ask(his);
      expect(limited.status).toBe(429);
      expect(limited.json.error.reason).toBe('RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      const other = await designate(s, `${H}B`);
      expect((await ask(other)).status).not.toBe(429);
    } finally {
      await small.stop();
    }
  });

  it('serves HTTPS with the certificate it is given, like the services', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'youfu-gw-certs-'));
    execFileSync('bash', [path.resolve(import.meta.dirname, '../../deploy/local/certs.sh'), dir], { stdio: 'ignore' });
    const tls = await gatewayFor(s, { YOUFU_TLS_CERT: path.join(dir, 'server.pem'), YOUFU_TLS_KEY: path.join(dir, 'server.key') });
    try {
      expect(tls.url).toMatch(/^https:/);
      const body = JSON.stringify(jsonBill(H, uniqueId('tls'), patient));
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = https.request(`${tls.url}${SETTLEMENT}/PreSettle`, { method: 'POST', ca: readFileSync(path.join(dir, 'ca.pem')), headers: { 'content-type': 'application/json', authorization: `Bearer ${his}` } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(answer.status, answer.text).toBe(200);
      expect(JSON.parse(answer.text).result.funds[0].fundCode).toBe('610200');
      // Plain HTTP to the TLS port gets no answer.
      await expect(fetch(tls.url.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
    } finally {
      await tls.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('publishes an OpenAPI 3.1 document that validates and lists every RPC of protos/, and a page that renders it', async () => {
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as any;
    await SwaggerParser.validate(structuredClone(doc));
    // Every rpc written in protos/ (read from the .proto text, not from the gateway's registry).
    const root = path.resolve(import.meta.dirname, '../../protos/youfu');
    const rpcs: string[] = [];
    for (const area of readdirSync(root).filter((a) => a !== 'devtest')) {
      for (const f of readdirSync(path.join(root, area, 'v1')).filter((n) => n.endsWith('.proto'))) {
        const text = readFileSync(path.join(root, area, 'v1', f), 'utf8');
        let service = '';
        for (const line of text.split('\n')) {
          service = /^service (\w+)/.exec(line)?.[1] ?? service;
          const m = /^\s*rpc (\w+)\(/.exec(line);
          if (m) rpcs.push(`/v1/youfu.${area}.v1.${service}/${m[1]}`);
        }
      }
    }
    expect(rpcs.length).toBeGreaterThan(40);
    expect(Object.keys(doc.paths).sort()).toEqual(rpcs.sort());
    expect(doc.components.schemas['youfu.common.v1.Money'].properties.fen).toMatchObject({ type: 'string', format: 'int64' });
    expect(doc.paths[`${SETTLEMENT}/Settle`].post.description).toMatch(/\w/);
    // The event contract is served beside it (test/gateway/events.test.ts checks its content).
    expect(((await (await fetch(`${gw.url}/asyncapi.json`)).json()) as any).asyncapi).toBe('3.0.0');
    const page = await fetch(`${gw.url}/docs`);
    expect(await page.text()).toContain('SwaggerUIBundle');
    expect((await fetch(`${gw.url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
  });
});
