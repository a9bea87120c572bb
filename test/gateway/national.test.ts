import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../services/gateway/server';
import { formatYuan } from '../../services/lib/money';
import { idGenerator, movableClock, type GeneratedId } from '../persons/support';
import { eventually, uniqueId } from '../support/env';
import { bill, type SettlementStack } from '../settlement/support';
import { hospitalCode, post, startGatewayStack } from './support';

const gen = idGenerator(9401);

describe("the national platform's envelope (Y2303 / Y2304 / Y2305 / Y3201 / Y3202)", () => {
  const { clock } = movableClock('2026-06-20');
  let s: SettlementStack;
  let gw: RunningGateway;
  let his: string;
  const H = hospitalCode('nat');
  const patient = gen();
  const other = gen();
  let seq = 0;

  /** A request envelope as a HIS's national-platform client builds it. */
  const envelope = (infno: string, input: unknown, o: { msgid?: string } = {}) => ({
    infno,
    msgid: o.msgid ?? `${H}20260620101500${String(++seq).padStart(4, '0')}${uniqueId('m').slice(-6)}`,
    mdtrtarea_admvs: '440100',
    insuplc_admdvs: '440100',
    recer_sys_code: 'YOUFU',
    dev_no: '',
    dev_safe_info: '',
    cainfo: '',
    signtype: '',
    infver: 'V1.0',
    opter_type: '1',
    opter: 'cashier-07',
    opter_name: '收费员',
    inf_time: '2026-06-20 10:15:00',
    fixmedins_code: H,
    fixmedins_name: '市第一人民医院',
    sign_no: '',
    input,
  });
  /** The bill of test/settlement/support's `bill` (10,000 yuan, in scope 9,000, basic insurance 5,000), as 2304's input. */
  const data = (billNo: string, g: GeneratedId, extra: Record<string, unknown> = {}) => ({
    data: {
      medins_setl_id: billNo,
      mdtrt_id: `MD${billNo}`,
      certno: g.id,
      psn_name: '张三',
      med_type: '21',
      begndate: '2026-06-01',
      enddate: '2026-06-10 16:30:00',
      medfee_sumamt: 10000.0,
      inscp_scp_amt: '9000.00',
      hifp_pay: 5000,
      hifmi_pay: 0,
      fulamt_ownpay_amt: 600.0,
      ...extra,
    },
  });
  const call = (infno: string, input: unknown, o: { msgid?: string; token?: string | null } = {}) =>
    post(gw, '/national/v1', envelope(infno, input, o), o.token === null ? {} : { token: o.token ?? his });

  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ s, gw, his, stop } = await startGatewayStack('gateway_national', clock, H, [patient, other]));
  }, 120_000);
  afterAll(async () => stop?.());

  it('settles (Y2304) to the fen of the gRPC call, in yuan with 2 decimals; a retried msgid pays once and gets the same bytes', async () => {
    const direct = await s.client.preSettle(bill(H, uniqueId('g'), patient), his);
    const billNo = uniqueId('n');
    const env = envelope('Y2304', data(billNo, patient));
    const first = await post(gw, '/national/v1', env, { token: his });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ infcode: 0, err_msg: '', msgid: env.msgid, output: { setlinfo: { medins_setl_id: billNo, stmt_ym: '2026-06' } } });
    const detail = first.json.output.setldetail;
    expect(detail).toEqual([expect.objectContaining({ fund_pay_type: '610200', fund_pay_type_name: '优抚对象医疗补助', setl_proc_info: expect.stringContaining('80%') })]);
    expect(detail[0].fund_payamt).toBe(Number(formatYuan(direct.result!.funds[0]!.amount!.fen)));
    expect(first.text).toContain('"fund_payamt":3200.00');
    expect(first.text).toContain('"psn_part_amt":1800.00');
    expect(first.json.output.setlinfo.setl_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const again = await post(gw, '/national/v1', env, { token: his });
    expect(again.text).toBe(first.text);
    const settled = await s.settlement.pool.query('SELECT 1 FROM settlements WHERE bill_no = $1', [billNo]);
    expect(settled.rowCount).toBe(1);
    // The same msgid with other content is refused, not answered with the first answer.
    const reused = await post(gw, '/national/v1', { ...env, input: data(uniqueId('n'), patient) }, { token: his });
    expect(reused.status).toBe(409);
    expect(reused.json).toMatchObject({ infcode: -1, err_reason: 'MSGID_REUSED', err_fields: ['msgid'] });
  });

  it('quotes (Y2303) without paying, reverses (Y2305) releasing the cap, and reconciles totals and details (Y3201 / Y3202)', async () => {
    const quote = await call('Y2303', data(uniqueId('q'), other));
    // A read is answered, then stored (off the answer's path): once stored, the same msgid again gets
    // the first answer byte for byte (each fresh answer has its own inf_refmsgid and time); other content is refused.
    const qenv = envelope('Y2303', data(uniqueId('q'), other));
    const q1 = await post(gw, '/national/v1', qenv, { token: his });
    await eventually(async () => ((await post(gw, '/national/v1', qenv, { token: his })).text === q1.text ? true : undefined), 10_000, 'the first answer again');
    expect((await post(gw, '/national/v1', { ...qenv, input: data(uniqueId('q'), patient) }, { token: his })).json).toMatchObject({ infcode: -1, err_reason: 'MSGID_REUSED' });
    // The cap left after the bill quoted: 30,000 − 3,200 yuan.
    expect(quote.json.output.setlinfo).toMatchObject({ setl_id: '', fund_pay_sumamt: 3200, cap_left: 26800 });
    const billNo = uniqueId('r');
    expect((await call('Y2304', data(billNo, other))).json.output.setlinfo.cap_left).toBe(26800);
    expect((await call('Y2303', data(uniqueId('q'), other))).json.output.setlinfo.cap_left).toBe(23600);
    const reversed = await call('Y2305', { data: { medins_setl_id: billNo, memo: 'bill cancelled' } });
    expect(reversed.json).toMatchObject({ infcode: 0, output: { setlinfo: { medins_setl_id: billNo, rls_lmt_amt: 3200 } } });
    expect(reversed.text).toContain('"rls_lmt_amt":3200.00');
    expect((await call('Y2303', data(uniqueId('q'), other))).json.output.setlinfo.cap_left).toBe(26800);

    const range = { stmt_begndate: '2026-06-01', stmt_enddate: '2026-06-30' };
    const details = await call('Y3202', { data: { ...range, page_size: 500 } });
    expect(details.json.infcode, details.text).toBe(0);
    const lines: any[] = details.json.output.data;
    expect(lines.map((l) => l.medins_setl_id)).toContain(billNo);
    expect(lines.find((l) => l.medins_setl_id === billNo)).toMatchObject({ fund_pay_type: '610200', fund_payamt: 3200, certno: expect.stringMatching(/\*/), revs_time: expect.any(String) });
    const count = lines.length;
    const amount = lines.reduce((sum, l) => sum + Math.round(l.fund_payamt * 100), 0) / 100;
    const revs = lines.filter((l) => l.revs_time);
    const theirs = { ...range, fixmedins_setl_cnt: count, fund_pay_sumamt: amount.toFixed(2), revs_setl_cnt: revs.length, revs_fund_pay_sumamt: (revs.reduce((sum, l) => sum + Math.round(l.fund_payamt * 100), 0) / 100).toFixed(2) };
    const totals = await call('Y3201', { data: theirs });
    expect(totals.json.output).toMatchObject({ stmt_rslt: '0', setl_cnt: count, revs_setl_cnt: revs.length });
    expect((await call('Y3201', { data: { ...theirs, fixmedins_setl_cnt: count + 1 } })).json.output.stmt_rslt).toBe('1');
  });

  it('refuses bad envelopes in its own format, with the platform field names, writing nothing', async () => {
    const before = (await s.settlement.pool.query('SELECT 1 FROM settlement_requests WHERE hospital = $1', [H])).rowCount;
    const cases: [string, () => Promise<{ status: number; json: any }>, number, string, string?][] = [
      ['three decimals', () => call('Y2304', data(uniqueId('b'), patient, { medfee_sumamt: 10000.005 })), 400, 'INVALID_FIELD', 'input.data.medfee_sumamt'],
      ['a negative amount', () => call('Y2304', data(uniqueId('b'), patient, { hifp_pay: '-1.00' })), 400, 'INVALID_FIELD', 'input.data.hifp_pay'],
      ['an unknown field', () => call('Y2304', data(uniqueId('b'), patient, { discount_amt: 1 })), 400, 'INVALID_FIELD', 'input.data'],
      ['an unknown infno', () => call('2304', data(uniqueId('b'), patient)), 404, 'UNKNOWN_INFNO', 'infno'],
      ['no msgid', () => post(gw, '/national/v1', { ...envelope('Y2304', data(uniqueId('b'), patient)), msgid: undefined }, { token: his }), 400, 'INVALID_FIELD', 'msgid'],
      ['malformed JSON', () => post(gw, '/national/v1', '{"infno": "Y2304",', { token: his }), 400, 'MALFORMED_JSON'],
      ['the service’s own check of the ID number', () => call('Y2304', data(uniqueId('b'), { ...patient, id: '110101199001011234' })), 400, 'INVALID_CHECK_CHARACTER', 'input.data.certno'],
      ['amounts that do not add up (the service’s rule)', () => call('Y2304', data(uniqueId('b'), patient, { inscp_scp_amt: 20000 })), 400, 'AMOUNTS_INCONSISTENT', 'input.data.inscp_scp_amt'],
      ['no token', () => call('Y2304', data(uniqueId('b'), patient), { token: null }), 401, 'TOKEN_MISSING'],
    ];
    for (const [what, send, status, reason, field] of cases) {
      const r = await send();
      expect({ what, status: r.status, infcode: r.json?.infcode, reason: r.json?.err_reason }, JSON.stringify(r.json)).toEqual({ what, status, infcode: -1, reason });
      expect(r.json.err_msg).toContain(`[${reason}]`);
      if (field) expect(r.json.err_fields, JSON.stringify(r.json)).toContain(field);
    }
    expect((await s.settlement.pool.query('SELECT 1 FROM settlement_requests WHERE hospital = $1', [H])).rowCount).toBe(before);
  });
});
