/**
 * What the settlement service accepts (zod at the edge) and the consistency rules of a bill. Every
 * refusal is INVALID_ARGUMENT naming the field: INVALID_FIELD for a malformed value, the ID number's
 * own reason (INVALID_CHECK_CHARACTER, …), AMOUNTS_INCONSISTENT or DATES_INCONSISTENT for values
 * that do not fit together.
 */
import { z } from 'zod';
import { visitTypeFromJSON, hospitalStatusFromJSON } from '../../protos/gen/youfu/settlement/v1/settlement';
import type { Bill } from '../../protos/gen/youfu/settlement/v1/settlement';
import type { CivilDate } from '../lib/civil';
import { toJson } from '../lib/db';
import { entitlementEnums } from '../lib/entitlement';
import { AppError, invalidArgument, parseInput, type FieldViolation } from '../lib/errors';
import { LIMITS } from '../lib/money';
import { jsonBigint } from '../lib/settings';
import { nationalIdArg } from '../lib/national-id';
import type { PiiVault } from '../lib/pii';
import { civilDate, enumMap, requiredEnum } from '../lib/proto';
import { AMOUNT_FIELDS, FUNDS, VISITS, paidBefore, type BillAmounts, type Visit } from './domain/rules';

export const visitEnum = enumMap(VISITS, visitTypeFromJSON, 'VISIT_TYPE_');
export const hospitalStatusEnum = enumMap(['ACTIVE', 'SUSPENDED'] as const, hospitalStatusFromJSON, 'HOSPITAL_STATUS_');
export type HospitalStatus = (typeof hospitalStatusEnum.names)[number];

export const hospitalCode = z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'letters and digits, 1–32');
/** A bill number: printable ASCII without spaces, 1–64 characters. */
const billNo = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'printable ASCII without spaces, 1–64 characters');
const name = z.string().trim().min(1, 'required').max(50);
export const note = z.string().trim().min(1, 'required').max(2000);
/** One amount of a bill: ≥ 0 and ≤ 10,000,000 yuan. */
const amount = z
  .object({ fen: z.bigint() }, { error: 'required' })
  .transform((m) => m.fen)
  .refine((f) => f >= 0n && f <= LIMITS.annualFen, `must be ≥ 0 and ≤ ${LIMITS.annualFen} fen`);

const billShape = z.object({
  hospitalCode,
  billNo,
  visitType: requiredEnum(visitEnum),
  admissionDate: civilDate,
  dischargeDate: civilDate,
  nationalId: z.string().max(40),
  name,
  ...Object.fromEntries(AMOUNT_FIELDS.map((f) => [f, amount])),
  items: z
    .array(z.object({ itemCode: z.string().trim().min(1, 'required').max(64), itemName: z.string().max(200), amount }))
    .max(1000),
}) as unknown as z.ZodType<ParsedBill>;

/** A validated bill: what the workflow and the store work with. */
export interface ParsedBill extends BillAmounts {
  hospitalCode: string;
  billNo: string;
  visitType: Visit;
  admissionDate: CivilDate;
  dischargeDate: CivilDate;
  nationalId: string;
  name: string;
  items: { itemCode: string; itemName: string; amount: bigint }[];
}

/**
 * Parses a Bill (under `bill.`), then checks what must fit together: admission ≤ discharge ≤ today;
 * in-scope ≤ total; all payers together ≤ total; the items, if any, add up to the total.
 */
export function parseBill(raw: Bill | undefined, today: CivilDate): ParsedBill {
  if (!raw) throw invalidArgument('bill', 'required');
  const b = parseInput(billShape, raw, ['bill']);
  const dates: FieldViolation[] = [];
  if (b.dischargeDate > today) dates.push({ field: 'bill.dischargeDate', description: `after today (${today})` });
  if (b.admissionDate > b.dischargeDate) dates.push({ field: 'bill.admissionDate', description: 'after the discharge date' });
  if (dates.length) throw new AppError('INVALID_ARGUMENT', 'DATES_INCONSISTENT', dates.map((v) => `${v.field}: ${v.description}`).join('; '), dates);
  const id = nationalIdArg(b.nationalId, today, 'bill.nationalId');
  const amounts: FieldViolation[] = [];
  if (b.inScopeCost > b.totalCost) amounts.push({ field: 'bill.inScopeCost', description: 'greater than the total cost' });
  const payers = paidBefore(b);
  if (payers > b.totalCost) amounts.push({ field: 'bill.basicInsurance', description: `the payers before us together (${payers} fen) exceed the total cost` });
  if (b.items.length) {
    const sum = b.items.reduce((s, i) => s + i.amount, 0n);
    if (sum !== b.totalCost) amounts.push({ field: 'bill.items', description: `the items add up to ${sum} fen, not the total cost ${b.totalCost}` });
  }
  if (amounts.length) throw new AppError('INVALID_ARGUMENT', 'AMOUNTS_INCONSISTENT', amounts.map((v) => `${v.field}: ${v.description}`).join('; '), amounts);
  return { ...b, nationalId: id };
}

/**
 * The canonical content hash of a bill: every field in a fixed order, the ID number normalised and
 * the name without spaces (NFKC), so a re-send of the same bill hashes the same and any other
 * content does not. Keyed (HMAC, YOUFU_PII_HASH_KEY): beside the masked ID and the amounts, a plain
 * hash would give the ID number and name away to a search over birth dates.
 */
export function contentHash(b: ParsedBill, pii: PiiVault): string {
  const canonical = [
    b.hospitalCode,
    b.billNo,
    b.visitType,
    b.admissionDate,
    b.dischargeDate,
    b.nationalId,
    b.name.normalize('NFKC').replace(/\s+/g, ''),
    ...AMOUNT_FIELDS.map((f) => b[f].toString()),
    ...b.items.map((i) => [i.itemCode, i.itemName, i.amount.toString()].join('\u001f')),
  ];
  return pii.hash(toJson(canonical));
}

/** The bill as stored with its request, without the ID number and name (held encrypted beside it). */
export function storedBill(b: ParsedBill): StoredBill {
  return {
    hospitalCode: b.hospitalCode,
    billNo: b.billNo,
    visitType: b.visitType,
    admissionDate: b.admissionDate,
    dischargeDate: b.dischargeDate,
    ...(Object.fromEntries(AMOUNT_FIELDS.map((f) => [f, b[f]])) as unknown as BillAmounts),
    itemCount: b.items.length,
  };
}

export interface StoredBill extends BillAmounts {
  hospitalCode: string;
  billNo: string;
  visitType: Visit;
  admissionDate: CivilDate;
  dischargeDate: CivilDate;
  itemCount: number;
}

/** Reads a stored bill back (bigints are decimal strings in JSON). */
export const storedBillSchema = z.object({
  hospitalCode: z.string(),
  billNo: z.string(),
  visitType: z.enum(VISITS),
  admissionDate: z.string(),
  dischargeDate: z.string(),
  itemCount: z.number().int(),
  ...Object.fromEntries(AMOUNT_FIELDS.map((f) => [f, jsonBigint])),
}) as unknown as z.ZodType<StoredBill>;

/** The rule-set value kept in the settings store (settlement.rule.<CATEGORY>.g<grade>.<VISIT>). */
export const ruleValue = z.object({
  fund: z.enum(FUNDS),
  ratioBp: z.number().int().min(0).max(10_000),
  capFen: z.union([z.null(), jsonBigint.refine((f) => f <= LIMITS.annualFen, `≤ ${LIMITS.annualFen} fen`)]),
});

export const categoryArg = requiredEnum(entitlementEnums.category);
export const gradeArg = z.number().int().min(0).max(10);
