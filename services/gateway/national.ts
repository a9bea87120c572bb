/**
 * The national platform's door for hospitals: the one-stop settlement in the message shapes a HIS
 * already sends the national medical-insurance platform (domain.md §3), so that adding Youfu is
 * copying that client and changing the address and the transaction codes (`infno`):
 *
 *   Youfu infno   platform's   RPC
 *   Y2303         2303         PreSettle          (pre-settlement: a quote, nothing reserved)
 *   Y2304         2304         Settle
 *   Y2305         2305         Reverse
 *   Y3201         3201         ReconcileTotals
 *   Y3202         3202         ReconcileDetails
 *
 * `POST /national/v1` with the request envelope; the answer is the response envelope (`infcode` 0,
 * or -1 with `err_msg`). Amounts are yuan with at most 2 decimals on the wire (numbers or strings)
 * and fen inside, converted exactly; a third decimal is refused. The same `msgid` from the same
 * caller returns the first answer (national_messages).
 */
import * as grpc from '@grpc/grpc-js';
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isValidDate } from '../lib/civil';
import type { Pool } from '../lib/db';
import type { Logger } from '../lib/log';
import type { Backends, CallContext } from './backends';
import { doorError, isDoorError, parseDoorInput, type DoorError } from './errors';
import { parseJson } from './json';
import { fenOf, shanghaiTime, Yuan, yuan, yuanJson } from './yuan';

const SETTLEMENT = '/v1/youfu.settlement.v1.MedicalSettlementService';

// ---------- wire values ----------

const optionalYuan = yuan.optional().transform((f) => f ?? 0n);
/** `yyyy-MM-dd`, or `yyyy-MM-dd HH:mm:ss` (its date). */
const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/, 'yyyy-MM-dd or yyyy-MM-dd HH:mm:ss')
  .transform((s) => s.slice(0, 10))
  .refine(isValidDate, 'not a calendar date');
const civil = (d: string) => ({ year: Number(d.slice(0, 4)), month: Number(d.slice(5, 7)), day: Number(d.slice(8, 10)) });
const text = (max: number) => z.string().min(1).max(max);

/** The request envelope (the platform's header fields, all accepted; the ones we use required). */
const envelope = z
  .object({
    infno: z.string().max(10),
    msgid: text(64),
    mdtrtarea_admvs: z.string().max(12),
    insuplc_admdvs: z.string().max(12).optional(),
    recer_sys_code: z.string().max(20),
    dev_no: z.string().max(100).optional(),
    dev_uuid: z.string().max(100).optional(),
    dev_safe_info: z.string().max(500).optional(),
    cainfo: z.string().max(2000).optional(),
    signtype: z.string().max(20).optional(),
    infver: z.string().max(10),
    opter_type: z.string().max(3).optional(),
    opter: text(30),
    opter_name: z.string().max(50).optional(),
    inf_time: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'yyyy-MM-dd HH:mm:ss'),
    fixmedins_code: text(30),
    fixmedins_name: z.string().max(200).optional(),
    sign_no: z.string().max(30).optional(),
    input: z.record(z.string(), z.unknown()),
  })
  .strict();
type Envelope = z.infer<typeof envelope>;

/** A bill as 2303 / 2304 carry it, with the platform's own settlement results (domain.md §3). */
const billData = z
  .object({
    medins_setl_id: text(64),
    mdtrt_id: z.string().max(64).optional(),
    psn_no: z.string().max(64).optional(),
    certno: text(18),
    psn_name: text(50),
    // 1x outpatient (11 普通门诊, 13 急诊, 14 门诊慢特病 …), 2x inpatient (21 普通住院 …).
    med_type: z.string().regex(/^[12]\d{1,5}$/, 'a medical type code: 1x outpatient, 2x inpatient'),
    begndate: date,
    enddate: date,
    medfee_sumamt: yuan,
    inscp_scp_amt: yuan,
    hifp_pay: yuan,
    hifmi_pay: optionalYuan,
    hifob_pay: optionalYuan,
    cvlserv_pay: optionalYuan,
    hifes_pay: optionalYuan,
    oth_pay: optionalYuan,
    maf_pay: optionalYuan,
    hosp_part_amt: optionalYuan,
    // The platform's other figures, accepted as a HIS passes its 2304 output on (not used).
    fulamt_ownpay_amt: yuan.optional(),
    overlmt_selfpay: yuan.optional(),
    preselfpay_amt: yuan.optional(),
    fund_pay_sumamt: yuan.optional(),
    psn_part_amt: yuan.optional(),
    acct_pay: yuan.optional(),
    feedetail: z.array(z.object({ feedetl_sn: z.string().max(64).optional(), hilist_code: text(64), hilist_name: text(200), det_item_fee_sumamt: yuan }).strict()).max(1000).optional(),
  })
  .strict();
const reversalData = z.object({ medins_setl_id: text(64), setl_id: z.string().max(64).optional(), psn_no: z.string().max(64).optional(), mdtrt_id: z.string().max(64).optional(), memo: z.string().max(500).optional() }).strict();
const range = { stmt_begndate: date, stmt_enddate: date };
const totalsData = z
  .object({ ...range, fixmedins_setl_cnt: z.number().int().min(0), fund_pay_sumamt: yuan, revs_setl_cnt: z.number().int().min(0).optional(), revs_fund_pay_sumamt: optionalYuan, insutype: z.string().max(10).optional(), clr_type: z.string().max(10).optional() })
  .strict();
const detailsData = z.object({ ...range, page_size: z.number().int().min(1).max(500).optional(), page_token: z.string().max(2000).optional() }).strict();

const dataOf = <S extends z.ZodType>(schema: S) => z.object({ data: schema }).strict();

// ---------- answers ----------

const FUND_NAMES: Record<string, string> = { '350100': '一至六级残疾军人医疗补助', '610200': '优抚对象医疗补助' };

function settlementOutput(res: any, bill: z.infer<typeof billData>) {
  const r = res.result ?? {};
  const funds: any[] = r.funds ?? [];
  return {
    setlinfo: {
      setl_id: res.settlementId ?? '',
      medins_setl_id: bill.medins_setl_id,
      ...(res.settledAt ? { setl_time: shanghaiTime(res.settledAt) } : {}),
      ...(res.period ? { stmt_ym: res.period } : {}),
      medfee_sumamt: new Yuan(bill.medfee_sumamt),
      fund_pay_sumamt: new Yuan(funds.reduce((s: bigint, f) => s + fenOf(f.amount), 0n)),
      psn_part_amt: new Yuan(fenOf(r.patientPays)),
      cap_used: new Yuan(fenOf(r.capUsed)),
      ...(r.capLeft ? { cap_left: new Yuan(fenOf(r.capLeft)) } : {}),
      cap_year: r.capYear,
      ratio_bp: r.ratioBp,
      rule_set_version: r.ruleSetVersion,
    },
    setldetail: funds.map((f) => ({
      fund_pay_type: f.fundCode,
      fund_pay_type_name: FUND_NAMES[f.fundCode] ?? '',
      fund_payamt: new Yuan(fenOf(f.amount)),
      ...(f.limitLeft ? { crt_payb_lmt_amt: new Yuan(fenOf(f.limitLeft)) } : {}),
      setl_proc_info: f.trace,
    })),
  };
}

type Handler = (input: unknown, e: Envelope, ctx: CallContext, b: Backends) => Promise<unknown>;

const bill = (d: z.infer<typeof billData>, e: Envelope) => ({
  bill: {
    hospitalCode: e.fixmedins_code,
    billNo: d.medins_setl_id,
    visitType: d.med_type.startsWith('2') ? 'VISIT_TYPE_INPATIENT' : 'VISIT_TYPE_OUTPATIENT',
    admissionDate: civil(d.begndate),
    dischargeDate: civil(d.enddate),
    nationalId: d.certno,
    name: d.psn_name,
    totalCost: { fen: String(d.medfee_sumamt) },
    inScopeCost: { fen: String(d.inscp_scp_amt) },
    basicInsurance: { fen: String(d.hifp_pay) },
    seriousIllnessInsurance: { fen: String(d.hifmi_pay) },
    largeExpenseSubsidy: { fen: String(d.hifob_pay) },
    civilServantSubsidy: { fen: String(d.cvlserv_pay) },
    enterpriseSupplementary: { fen: String(d.hifes_pay) },
    otherFunds: { fen: String(d.oth_pay) },
    medicalAssistance: { fen: String(d.maf_pay) },
    hospitalWaiver: { fen: String(d.hosp_part_amt) },
    items: (d.feedetail ?? []).map((i) => ({ itemCode: i.hilist_code, itemName: i.hilist_name, amount: { fen: String(i.det_item_fee_sumamt) } })),
  },
});

/** Bill fields of the RPC → the platform's names, so a service's field path reads as the HIS sent it. */
const BILL_FIELDS: Record<string, string> = {
  hospitalCode: 'fixmedins_code', billNo: 'input.data.medins_setl_id', visitType: 'input.data.med_type', admissionDate: 'input.data.begndate', dischargeDate: 'input.data.enddate',
  nationalId: 'input.data.certno', name: 'input.data.psn_name', totalCost: 'input.data.medfee_sumamt', inScopeCost: 'input.data.inscp_scp_amt', basicInsurance: 'input.data.hifp_pay',
  seriousIllnessInsurance: 'input.data.hifmi_pay', largeExpenseSubsidy: 'input.data.hifob_pay', civilServantSubsidy: 'input.data.cvlserv_pay', enterpriseSupplementary: 'input.data.hifes_pay',
  otherFunds: 'input.data.oth_pay', medicalAssistance: 'input.data.maf_pay', hospitalWaiver: 'input.data.hosp_part_amt', items: 'input.data.feedetail',
};
/** The other RPCs' fields (Reverse, ReconcileTotals, ReconcileDetails). */
const OTHER_FIELDS: Record<string, string> = {
  hospitalCode: 'fixmedins_code', billNo: 'input.data.medins_setl_id', reason: 'input.data.memo', fromDate: 'input.data.stmt_begndate', toDate: 'input.data.stmt_enddate',
  expectedSettledCount: 'input.data.fixmedins_setl_cnt', expectedSettledAmount: 'input.data.fund_pay_sumamt', expectedReversedCount: 'input.data.revs_setl_cnt',
  expectedReversedAmount: 'input.data.revs_fund_pay_sumamt', 'page.pageSize': 'input.data.page_size', 'page.pageToken': 'input.data.page_token',
};
const platformField = (f: string) => {
  const other = OTHER_FIELDS[f.replace(/\.fen$/, '')];
  if (other) return other;
  const m = /^bill\.(\w+)(.*)$/.exec(f);
  if (!m) return f;
  const mapped = BILL_FIELDS[m[1]!];
  return mapped ? `${mapped}${m[2]!.replace(/^\.fen$/, '').replace(/^(\[\d+\])\.amount(\.fen)?/, '$1.det_item_fee_sumamt')}` : f;
};


/** Y2303 and Y2304: a bill to PreSettle or Settle, answered as setlinfo and setldetail. */
const billHandler =
  (rpc: 'PreSettle' | 'Settle'): Handler =>
  async (input, e, ctx, b) => {
    const d = parseDoorInput(dataOf(billData), input, ['input']).data;
    return settlementOutput(await b.callJson(`${SETTLEMENT}/${rpc}`, bill(d, e), ctx), d);
  };

export const NATIONAL_CODES: Record<string, { platform: string; rpc: string; reads: boolean; handler: Handler }> = {
  Y2303: { platform: '2303', rpc: 'PreSettle', reads: true, handler: billHandler('PreSettle') },
  Y2304: { platform: '2304', rpc: 'Settle', reads: false, handler: billHandler('Settle') },
  Y2305: {
    platform: '2305',
    reads: false,
    rpc: 'Reverse',
    handler: async (input, e, ctx, b) => {
      const d = parseDoorInput(dataOf(reversalData), input, ['input']).data;
      const r: any = await b.callJson(`${SETTLEMENT}/Reverse`, { hospitalCode: e.fixmedins_code, billNo: d.medins_setl_id, reason: d.memo || `reversal Y2305, msgid ${e.msgid}, by ${e.opter}` }, ctx);
      return { setlinfo: { setl_id: r.settlementId, medins_setl_id: d.medins_setl_id, revs_time: shanghaiTime(r.reversedAt), stmt_ym: r.period, rls_lmt_amt: new Yuan(fenOf(r.released)) } };
    },
  },
  Y3201: {
    platform: '3201',
    reads: true,
    rpc: 'ReconcileTotals',
    handler: async (input, e, ctx, b) => {
      const d = parseDoorInput(dataOf(totalsData), input, ['input']).data;
      const r: any = await b.callJson(
        `${SETTLEMENT}/ReconcileTotals`,
        {
          hospitalCode: e.fixmedins_code,
          fromDate: civil(d.stmt_begndate),
          toDate: civil(d.stmt_enddate),
          expectedSettledCount: String(d.fixmedins_setl_cnt),
          expectedSettledAmount: { fen: String(d.fund_pay_sumamt) },
          expectedReversedCount: String(d.revs_setl_cnt ?? 0),
          expectedReversedAmount: { fen: String(d.revs_fund_pay_sumamt) },
        },
        ctx,
      );
      const totals = (ts: any[]) => ts.map((t) => ({ fund_pay_type: t.fundCode, setl_cnt: Number(t.count), fund_payamt: new Yuan(fenOf(t.amount)) }));
      const reversed: any[] = r.reversed ?? [];
      return {
        stmt_rslt: r.consistent ? '0' : '1',
        stmt_rslt_dscr: r.consistent ? '对账一致 (consistent)' : '对账不一致 (inconsistent): compare with Y3202',
        setl_cnt: Number(r.settledCount),
        fund_pay_sumamt: new Yuan(fenOf(r.settledAmount)),
        revs_setl_cnt: reversed.reduce((s, t) => s + Number(t.count), 0),
        revs_fund_pay_sumamt: new Yuan(reversed.reduce((s: bigint, t) => s + fenOf(t.amount), 0n)),
        setlinfo: totals(r.settled ?? []),
        revsinfo: totals(reversed),
      };
    },
  },
  Y3202: {
    platform: '3202',
    reads: true,
    rpc: 'ReconcileDetails',
    handler: async (input, e, ctx, b) => {
      const d = parseDoorInput(dataOf(detailsData), input, ['input']).data;
      const r: any = await b.callJson(
        `${SETTLEMENT}/ReconcileDetails`,
        { hospitalCode: e.fixmedins_code, fromDate: civil(d.stmt_begndate), toDate: civil(d.stmt_enddate), page: { pageSize: d.page_size ?? 100, pageToken: d.page_token ?? '' } },
        ctx,
      );
      return {
        data: (r.lines ?? []).map((l: any) => ({
          setl_id: l.settlementId,
          medins_setl_id: l.billNo,
          fund_pay_type: l.fundCode,
          fund_payamt: new Yuan(fenOf(l.amount)),
          medfee_sumamt: new Yuan(fenOf(l.totalCost)),
          psn_part_amt: new Yuan(fenOf(l.patientPays)),
          setl_time: shanghaiTime(l.settledAt),
          ...(l.reversedAt ? { revs_time: shanghaiTime(l.reversedAt) } : {}),
          certno: l.nationalIdMasked,
        })),
        next_page_token: r.page?.nextPageToken ?? '',
      };
    },
  },
};

// ---------- the door ----------

const stamp = (d = new Date()) => new Date(d.getTime() + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 17);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface NationalAnswer {
  http: number;
  body: string;
}

function answer(o: { http: number; msgid?: string; output?: unknown; error?: DoorError }): NationalAnswer {
  const now = new Date();
  const e = o.error;
  return {
    http: o.http,
    body: yuanJson({
      infcode: e ? -1 : 0,
      inf_refmsgid: `YOUFU${stamp(now)}${randomUUID().slice(0, 8)}`,
      refmsg_time: stamp(now),
      respond_time: stamp(),
      err_msg: e ? `[${e.reason}] ${e.fieldViolations.length ? e.fieldViolations.map((v) => `${platformField(v.field)}: ${v.description}`).join('; ') : e.message}` : '',
      warn_msg: '',
      output: o.output ?? {},
      // Youfu's additions (a national client ignores them): the reason and fields as codes.
      ...(e ? { err_reason: e.reason, err_fields: e.fieldViolations.map((v) => platformField(v.field)) } : {}),
      ...(o.msgid ? { msgid: o.msgid } : {}),
    }),
  };
}

/** A refusal before the envelope was read (rate, size, type) as a response envelope. */
export const nationalError = (e: DoorError): NationalAnswer => answer({ http: e.http, error: e });

/** Answers one request envelope (the body as sent), by msgid once per caller. */
export async function nationalDoor(raw: string, ctx: CallContext, backends: Backends, pool: Pool, log: Logger): Promise<NationalAnswer> {
  let e: Envelope;
  try {
    e = parseDoorInput(envelope, parseJson(raw));
  } catch (err) {
    if (isDoorError(err)) return answer({ http: err.http, error: err });
    throw err;
  }
  const code = NATIONAL_CODES[e.infno];
  if (!code) {
    const known = Object.entries(NATIONAL_CODES).map(([k, v]) => `${k} (${v.platform})`).join(', ');
    return answer({ http: 404, msgid: e.msgid, error: doorError(grpc.status.NOT_FOUND, 'UNKNOWN_INFNO', `infno ${e.infno} is not served here; Youfu's codes: ${known}`, { fieldViolations: [{ field: 'infno', description: `one of ${known}` }] }) });
  }
  const caller = sha256(ctx.authorization ?? '');
  const hash = sha256(raw);
  const reused = () =>
    answer({ http: 409, msgid: e.msgid, error: doorError(grpc.status.ALREADY_EXISTS, 'MSGID_REUSED', `msgid ${e.msgid} was sent before with other content: give each message its own msgid`, { fieldViolations: [{ field: 'msgid', description: 'already used for another message' }] }) });
  const stored = async () =>
    (await pool.query<{ request_hash: string; http_status: number; response: string }>('SELECT request_hash, http_status, response FROM national_messages WHERE caller = $1 AND msgid = $2', [caller, e.msgid])).rows[0];
  /** A stored answer: given again for the same content, refused for other content under its msgid. */
  const replay = (row: { request_hash: string; http_status: number; response: string }): NationalAnswer => (row.request_hash === hash ? { http: row.http_status, body: row.response } : reused());
  const store = (out: NationalAnswer) =>
    pool.query(
      `INSERT INTO national_messages (caller, msgid, infno, request_hash, http_status, response) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (caller, msgid) DO NOTHING`,
      [caller, e.msgid, e.infno, hash, out.http, out.body],
    );
  const ask = async (): Promise<NationalAnswer> => {
    try {
      return answer({ http: 200, msgid: e.msgid, output: await code.handler(e.input, e, ctx, backends) });
    } catch (err) {
      if (!isDoorError(err)) throw err;
      return answer({ http: err.http, msgid: e.msgid, error: err });
    }
  };
  // A read (Y2303, Y3201, Y3202) is harmless to repeat: looked up while it is asked, answered, and
  // stored after the answer (off its path); copies sent at the same moment may each be answered.
  if (code.reads) {
    const [seen, out] = await Promise.all([stored(), ask()]);
    if (seen) return replay(seen);
    if (out.http < 500) void store(out).catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err), msgid: e.msgid, requestId: ctx.requestId }, 'a read was answered but not stored: its msgid will be asked again'));
    return out;
  }
  // What moves money (Y2304, Y2305) is looked up first, so a msgid reused for other content never
  // reaches the service, and its answer is stored before it is given.
  const seen = await stored();
  if (seen) return replay(seen);
  const out = await ask();
  if (out.http >= 500) return out;
  const inserted = await store(out);
  if (inserted.rowCount) return out;
  // A copy sent meanwhile stored first: its answer is the one given.
  const first = (await stored())!;
  return replay(first);
}
