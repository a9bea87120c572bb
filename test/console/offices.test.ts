/**
 * The console's settlement and resettlement screens in a real browser against the real stack: a
 * hospital's month settled through the gateway, cut off, and its statement approved for payment by
 * an approver; a designation proposed by a clerk and decided by an approver; a discharged soldier's
 * case from the files received to its closing, the subsidy approved by a second person.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { StatementStatus, VisitType } from '../../protos/gen/youfu/settlement/v1/settlement';
import { parseYuan } from '../../services/lib/money';
import { hospitalCode, jsonBill, post, startGatewayStack } from '../gateway/support';
import { addDays, addMonths, systemClock } from '../../services/lib/civil';
import { idGenerator, pbDate, survivor } from '../persons/support';
import { token, uniqueId } from '../support/env';
import { temporalClient } from '../support/temporal';
import { choose, label, launchBrowser, shot, signIn, startResettlement } from './support';

const SETTLEMENT = '/v1/youfu.settlement.v1.MedicalSettlementService';

describe('settlement and resettlement in the console', () => {
  // Today: the case workflow's deadlines run on the Temporal server's clock, not on a test clock.
  const clock = systemClock;
  const today = clock.today();
  const period = today.slice(0, 7);
  const gen = idGenerator(6161);
  const patient = gen();
  const H = hospitalCode('off');
  let resettlement: Awaited<ReturnType<typeof startResettlement>>;
  let stack: Awaited<ReturnType<typeof startGatewayStack>>;
  let browser: Browser;

  beforeAll(async () => {
    resettlement = await startResettlement('console-resettlement', clock);
    stack = await startGatewayStack('console-offices', clock, H, [patient], { attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), env: { YOUFU_RESETTLEMENT_ADDR: resettlement.address } });
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await resettlement?.stop();
  });

  it('approves a hospital’s prepared statement for its net amount, and designates a hospital and sets a rule set by maker–checker', async () => {
    // This month: the hospital settles two bills through the JSON door; the month is cut off.
    for (const billNo of [uniqueId('b1'), uniqueId('b2')]) {
      const r = await post(stack.gw, `${SETTLEMENT}/Settle`, jsonBill(H, billNo, patient), { token: stack.his });
      expect(r.status).toBe(200);
    }
    const temporal = await temporalClient();
    await temporal.workflow.execute('statementCutOff', { taskQueue: stack.s.workflowsQueue, workflowId: uniqueId('cutoff'), args: [{ period, activityQueue: stack.s.env.YOUFU_ACTIVITY_QUEUE }] });
    await temporal.connection.close();
    const approverToken = await token('approver', 'chief-wang');
    const before = await stack.s.client.getStatement({ hospitalCode: H, period: { year: Number(period.slice(0, 4)), month: Number(period.slice(5, 7)) }, page: undefined }, approverToken);
    expect(before.statement!.status).toBe(StatementStatus.STATEMENT_STATUS_PREPARED);

    const approver = await signIn(browser, stack.gw.url, '审批人', 'chief-wang');
    await approver.getByRole('menuitem', { name: '医疗结算' }).click();
    const statement = approver.locator('form').filter({ has: approver.getByLabel('期间') });
    await statement.getByLabel('医院编码').fill(H);
    await statement.getByLabel('期间').fill(period);
    await statement.getByRole('button', { name: label('查询') }).click();
    await expect.poll(() => approver.getByTestId('statement-status').textContent(), { timeout: 15_000 }).toBe('待审批');
    expect(parseYuan((await approver.getByTestId('statement-net').textContent())!)).toBe(before.statement!.netAmount!.fen);
    expect(await approver.getByTestId('statement-entries').locator('tr.ant-table-row').count()).toBe(2);
    await approver.getByRole('button', { name: label('批准') }).click();
    expect(await approver.getByTestId('statement-confirm').textContent()).toContain(before.statement!.netAmount!.fen.toString().slice(0, -2));
    await approver.locator('.ant-modal').getByRole('button', { name: label('确定') }).click();
    await expect.poll(() => approver.getByTestId('statement-status').textContent(), { timeout: 15_000 }).toBe('已批准');
    await shot(approver, 'statement');
    expect((await stack.s.client.getStatement({ hospitalCode: H, period: { year: Number(period.slice(0, 4)), month: Number(period.slice(5, 7)) }, page: undefined }, approverToken)).statement).toMatchObject({ status: StatementStatus.STATEMENT_STATUS_CLOSED, closedBy: 'chief-wang' });

    // A clerk proposes a new designated hospital; the approver approves it in the list of proposals.
    const N = hospitalCode('new');
    const clerk = await signIn(browser, stack.gw.url, '经办人', 'officer-li');
    await clerk.getByRole('menuitem', { name: '医疗结算' }).click();
    const propose = clerk.getByTestId('propose-hospital');
    await propose.getByLabel('医院编码').fill(N);
    await propose.getByLabel('医院名称').fill('广州市第一人民医院');
    await choose(clerk, '状态', '定点');
    await propose.getByLabel('备注').fill('穗退役军人〔2026〕12号');
    await propose.getByRole('button', { name: '提出定点申请' }).click();
    await approver.reload();
    const row = approver.getByTestId('settlement-proposals').locator('tr.ant-table-row').filter({ hasText: N });
    await row.getByRole('button', { name: label('批准') }).click();
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);
    await approver.getByRole('textbox', { name: '医院编码' }).last().fill(N);
    await approver.getByRole('button', { name: label('查询') }).last().click();
    await expect.poll(() => approver.getByTestId('hospital').textContent()).toContain('广州市第一人民医院');

    // A rule set: the clerk proposes 80 % of in-patient costs for martyrs' survivors from today, capped at 50,000 yuan a year.
    await clerk.getByRole('button', { name: '提出结算比例' }).click();
    const dialog = clerk.locator('.ant-modal');
    await choose(clerk, '类别', '烈士遗属');
    await choose(clerk, '就诊类型', '住院');
    await dialog.getByLabel('生效日期').fill(today);
    await choose(clerk, '基金', '610200');
    await dialog.getByLabel('支付比例（%）').fill('80');
    await dialog.getByLabel('年度限额（元）').fill('50000');
    await dialog.getByLabel('备注').fill('穗退役军人〔2026〕13号');
    await dialog.locator('.ant-modal-footer').getByRole('button').last().click();
    await dialog.waitFor({ state: 'hidden' });
    await approver.reload();
    const setting = approver.getByTestId('settlement-proposals').locator('tr.ant-table-row').filter({ hasText: 'setting' });
    await expect.poll(() => setting.textContent()).toContain('8000');
    await setting.getByRole('button', { name: label('批准') }).click();
    await expect.poll(() => setting.count(), { timeout: 15_000 }).toBe(0);
    const rule = await stack.s.client.getRuleSet({ category: Category.CATEGORY_MARTYR_SURVIVOR, disabilityGrade: 0, visitType: VisitType.VISIT_TYPE_INPATIENT, date: pbDate(today) }, approverToken);
    expect(rule.ruleSet).toMatchObject({ fundCode: '610200', ratioBp: 8000, annualCap: { fen: 5_000_000n } });
  });

  it('takes a case from the files received to its closing: report, placement, the subsidy approved by a second person', async () => {
    const soldier = gen({ birthDate: '2003-05-14', gender: 'MALE' });
    const clerk = await signIn(browser, stack.gw.url, '经办人', 'officer-li');
    await clerk.getByRole('menuitem', { name: '退役安置' }).click();
    // This year's subsidy base: the clerk proposes it, another person approves it.
    await clerk.getByRole('button', { name: '提出经济补助基数（元/年）' }).click();
    const setting = clerk.locator('.ant-modal');
    await setting.getByLabel('生效日期').fill(`${today.slice(0, 4)}-01-01`);
    await setting.getByLabel('金额（元）').fill('15000');
    await setting.getByLabel('备注').fill('穗退役军人〔2026〕3号');
    await setting.locator('.ant-modal-footer').getByRole('button').last().click();
    await setting.waitFor({ state: 'hidden' });
    const chief = await signIn(browser, stack.gw.url, '审批人', 'chief-wang');
    await chief.getByRole('menuitem', { name: '退役安置' }).click();
    const pending = chief.getByTestId('setting-proposals').locator('tr.ant-table-row').filter({ hasText: '15000.00' });
    await pending.getByRole('button', { name: label('批准') }).click();
    await expect.poll(() => pending.textContent()).toContain('已批准');

    const form = clerk.getByTestId('receive-case');
    await form.getByLabel('身份证号').fill(soldier.id);
    await form.getByLabel('姓名').fill('王小兵');
    await form.getByLabel('军种').fill('陆军');
    await choose(clerk, '类别', '义务兵');
    // Discharged 10 days ago after exactly 28 months of service, approved 8 days ago.
    const discharged = addDays(today, -10);
    const enlisted = `${addMonths(addDays(discharged, 1).slice(0, 7), -28)}${addDays(discharged, 1).slice(7)}`;
    await form.getByLabel('入伍日期').fill(enlisted);
    await form.getByLabel('退役日期').fill(discharged);
    await form.getByLabel('退役批准日期').fill(addDays(today, -8));
    await form.getByLabel('区县代码').fill('440106');
    await choose(clerk, '户籍性质', '城镇');
    await form.getByRole('button', { name: label('提交') }).click();
    await expect.poll(() => clerk.getByTestId('case-status').textContent(), { timeout: 15_000 }).toBe('已接收');
    const caseId = clerk.url().split('/').pop()!;

    const step = async (button: string, fill: Record<string, string> = {}, selects: Record<string, string> = {}) => {
      await clerk.getByRole('button', { name: label(button) }).click();
      const dialog = clerk.locator('.ant-modal');
      for (const [l, v] of Object.entries(fill)) await dialog.getByLabel(l).fill(v);
      for (const [l, v] of Object.entries(selects)) await choose(clerk, l, v);
      await dialog.locator('.ant-modal-footer').getByRole('button').last().click();
      await dialog.waitFor({ state: 'hidden' });
    };
    await step('登记报到', { 报到日期: addDays(today, -2) });
    await expect.poll(() => clerk.getByTestId('case-status').textContent()).toBe('已报到');
    await step('选择安置方式', {}, { 安置方式: '自主就业' });
    await expect.poll(() => clerk.getByTestId('case-status').textContent()).toBe('已选安置方式');
    await step('提出一次性经济补助', { '中央一次性退役金（元）': '9800.00' });
    // 28 months → 5 half-years × 15,000 / 2 = 37,500 yuan, waiting for an approver.
    await expect.poll(() => clerk.getByTestId('case-timeline').textContent()).toContain('37500.00');
    expect(await clerk.getByRole('button', { name: '批准补助' }).count()).toBe(0);

    const approver = chief;
    await approver.goto(`${stack.gw.url}/console/resettlement/${caseId}`);
    await approver.getByRole('button', { name: '批准补助' }).click();
    expect(await approver.locator('.ant-modal').textContent()).toContain('37500.00');
    await approver.locator('.ant-modal .ant-modal-footer').getByRole('button').last().click();
    await expect.poll(() => approver.getByTestId('case-status').textContent(), { timeout: 15_000 }).toBe('补助已批准');

    await clerk.reload();
    await step('结案', { 结案说明: '已发放至本人账户' });
    await expect.poll(() => clerk.getByTestId('case-status').textContent()).toBe('已结案');
    await shot(clerk, 'resettlement-case');
    // The list finds it by status and district.
    await clerk.getByRole('menuitem', { name: '退役安置' }).click();
    await choose(clerk, '状态', '已结案');
    await clerk.getByRole('button', { name: label('查询') }).click();
    await expect.poll(() => clerk.getByTestId('cases').getByRole('link', { name: '王小兵' }).count()).toBe(1);
  });
});
