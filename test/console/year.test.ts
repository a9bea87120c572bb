/**
 * A year's money work in the console, in a real browser against the real stack: a clerk drafts the
 * new standards (an indexed draft of the 2021 table) and starts the annual adjustment from it; the
 * run shows its progress and its impact chart; an approver other than the clerk approves it; the
 * approver runs the payroll month and exports it, and the files' totals equal the API's.
 */
import ExcelJS from 'exceljs';
import { readFile } from 'node:fs/promises';
import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Phase } from '../../protos/gen/youfu/adjustment/v1/adjustment';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { PayrollLineKind } from '../../protos/gen/youfu/persons/v1/persons';
import { startGatewayFromEnv } from '../../services/gateway/main';
import type { RunningGateway } from '../../services/gateway/server';
import { parseYuan } from '../../services/lib/money';
import { startAdjustmentStack, type AdjustmentStack } from '../adjustment/support';
import { disabled, idGenerator, movableClock, pbDate, registration, survivor } from '../persons/support';
import { serviceEnv, testConfig, token } from '../support/env';
import { choose, label, launchBrowser, shot, signIn, startResettlement } from './support';

const RUN = 'adjustment:2022:national';

describe('the console through a year: standards, the annual adjustment, payroll', () => {
  const { clock, set } = movableClock('2022-07-15');
  let a: AdjustmentStack;
  let gw: RunningGateway;
  let browser: Browser;
  let resettlement: Awaited<ReturnType<typeof startResettlement>>;

  beforeAll(async () => {
    a = await startAdjustmentStack('console-year', clock);
    resettlement = await startResettlement('console-year-resettlement', clock);
    gw = await startGatewayFromEnv(
      serviceEnv(a.stack.db.adminUrl, a.stack.prefix, {
        YOUFU_LOG_LEVEL: 'silent',
        YOUFU_GATEWAY_PORT: '0',
        YOUFU_STANDARDS_ADDR: `127.0.0.1:${a.stack.standards.grpcPort}`,
        YOUFU_PERSONS_ADDR: a.stack.address,
        YOUFU_ADJUSTMENT_ADDR: `127.0.0.1:${a.svc.grpcPort}`,
        YOUFU_RESETTLEMENT_ADDR: resettlement.address,
        YOUFU_GATEWAY_RATE: '1000',
        YOUFU_GATEWAY_BURST: '1000',
      }),
    );
    const [clerk, approver] = await Promise.all([token('clerk', 'zhao'), token('approver', 'qian')]);
    const gen = idGenerator(7373);
    const people = [
      ...[0, 1, 2].map(() => ({ g: gen({ region: '440106' }), attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR) })),
      ...[0, 1].map(() => ({ g: gen({ region: '440104' }), attributes: disabled(5) })),
    ];
    for (const { g, attributes } of people) {
      const p = await a.stack.client.proposeRegistration({ origin: '', person: registration(g, { approvalDate: pbDate('2021-09-01'), identities: [{ attributes, effectiveFrom: pbDate('2021-09-01') }] }) }, clerk);
      await a.stack.client.approveChange({ changeId: p.change!.changeId, note: '' }, approver);
    }
    set('2022-09-20');
    // September is paid at the 2021 rates before the raise arrives: October pays the raise back to August.
    await a.stack.client.runPayroll({ month: { year: 2022, month: 9 } }, approver);
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await a?.stop();
    await resettlement?.stop();
  });

  const download = async (page: Page, button: string): Promise<Download> => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
    return d;
  };

  it('drafts, starts, shows the impact, is approved by a second person, pays and exports the month with the API’s totals', async () => {
    // The clerk indexes the 2021 national table: martyrs' survivors +6% from 2022-08-01.
    const clerk = await signIn(browser, gw.url, '经办人', 'zhao');
    await clerk.getByRole('menuitem', { name: '抚恤补助标准' }).click();
    await clerk.getByTestId('versions').getByRole('link', { name: /effective 2021-08-01/ }).click();
    await clerk.getByTestId('rows').waitFor();
    await clerk.getByLabel('标题').fill('2022年全国抚恤补助标准');
    await clerk.getByLabel('文号').fill('退役军人部发〔2022〕68号');
    await clerk.getByLabel('生效日期').fill('2022-08-01');
    await choose(clerk, '类别', '烈士遗属');
    await clerk.getByLabel('上调比例（%）').fill('6');
    // The preview, as typed: 33,860 yuan × 1.06 rounded half up to 10 yuan.
    const preview = clerk.getByTestId('indexed-preview');
    await expect.poll(() => preview.locator('tbody tr').filter({ hasText: '烈士遗属' }).textContent(), { timeout: 10_000 }).toContain('35890.00');
    expect(await preview.locator('tbody tr').count()).toBe(1);
    await clerk.getByRole('button', { name: label('生成') }).click();
    await expect.poll(() => clerk.getByTestId('version-status').textContent(), { timeout: 15_000 }).toBe('草稿');
    // The new draft opens with its diff against the base: the martyr survivors' row changed.
    const diff = clerk.getByTestId('diff');
    await expect.poll(() => diff.locator('tbody tr').filter({ hasText: '烈士遗属' }).textContent()).toContain('35890.00');
    expect(await diff.locator('tbody tr').count()).toBe(1);
    // A row typed by hand in the draft: war-disabled grade 5 to 57,000 yuan a year.
    const grade5 = clerk.getByLabel('残疾军人 · 因战 · 5级 · 定期抚恤补助');
    await grade5.fill('57000');
    await grade5.press('Enter');
    await expect.poll(() => diff.locator('tbody tr').count()).toBe(2);
    expect(await diff.locator('tbody tr').filter({ hasText: '因战 · 5级' }).textContent()).toMatch(/54220\.00.*57000\.00/);
    await shot(clerk, 'standards-diff');

    await clerk.getByRole('menuitem', { name: '年度调整' }).click();
    await choose(clerk, '抚恤补助标准', /2022年全国抚恤补助标准/);
    await clerk.getByLabel('发放月份').fill('2022-10');
    await clerk.getByRole('button', { name: label('启动') }).click();
    await clerk.getByTestId('run-progress').waitFor();
    expect(decodeURIComponent(clerk.url())).toContain(`/adjustments/${RUN}`);
    await expect.poll(() => clerk.getByTestId('run-phase').textContent(), { timeout: 60_000 }).toBe('待审批');
    expect(await clerk.getByTestId('run-progress').textContent()).toContain('5 / 5');
    // The impact chart renders: one bar group per category, labelled in Chinese.
    const chart = clerk.getByTestId('impact-chart');
    await expect.poll(() => chart.locator('svg text').filter({ hasText: '烈士遗属' }).count()).toBe(1);
    expect(await chart.locator('svg text').filter({ hasText: '残疾军人' }).count()).toBe(1);
    expect(await chart.locator('svg path').count()).toBeGreaterThan(4);
    const href = await clerk.getByTestId('temporal-link').getAttribute('href');
    expect(href).toBe(`http://127.0.0.1:8233/namespaces/${testConfig.YOUFU_TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(RUN)}`);
    // The clerk who started it cannot approve it.
    expect(await clerk.getByRole('button', { name: label('批准') }).count()).toBe(0);
    await shot(clerk, 'adjustment-impact');
    const simulated = await a.client.getAdjustment({ runId: RUN }, await token('clerk', 'zhao'));
    expect(await clerk.getByTestId('impact-by-category').textContent()).toContain(`${simulated.adjustment!.totals!.backPay!.fen / 100n}.`);

    // A second person approves: the confirmation names the payroll month and the back pay.
    const approver = await signIn(browser, gw.url, '审批人', 'qian');
    // It waits in the approver's work queue.
    await approver.getByTestId('runs-waiting').getByRole('link', { name: RUN }).click();
    await approver.getByRole('button', { name: label('批准') }).click();
    expect(await approver.getByTestId('approve-summary').textContent()).toContain('2022-10');
    await approver.locator('.ant-modal').getByRole('button', { name: label('确定') }).click();
    await expect.poll(() => approver.getByTestId('run-phase').textContent(), { timeout: 60_000 }).toBe('已完成');
    expect((await a.phase(RUN, Phase.PHASE_COMPLETED, await token('clerk', 'zhao'))).decidedBy).toBe('qian');
    await shot(approver, 'adjustment-completed');

    // October: the approver runs the month (after a confirmation) and exports it for the bank.
    set('2022-10-10');
    await approver.getByRole('menuitem', { name: '发放' }).click();
    await approver.getByLabel('月份').fill('2022-10');
    await approver.getByRole('button', { name: '生成当月发放' }).click();
    await approver.locator('.ant-modal').getByRole('button', { name: label('确定') }).click();
    await approver.getByTestId('payroll-total').waitFor({ timeout: 30_000 });
    const { payroll } = await a.stack.client.runPayroll({ month: { year: 2022, month: 10 } }, await token('approver', 'qian'));
    expect(payroll!.backPay!.fen).toBeGreaterThan(0n);
    const fen = (text: string) => parseYuan(text)!;
    expect(fen((await approver.getByTestId('payroll-total').textContent())!)).toBe(payroll!.total!.fen);
    await approver.locator('.ant-modal-wrap').waitFor({ state: 'hidden' });
    await shot(approver, 'payroll');

    const csv = (await readFile((await (await download(approver, '导出 CSV')).path())!, 'utf8')).replace(/^\uFEFF/, '');
    const [header, ...lines] = csv.trim().split('\r\n');
    const amountAt = header!.split(',').indexOf('金额（元）');
    expect(lines).toHaveLength(payroll!.lines);
    expect(lines.reduce((sum, l) => sum + fen(l.split(',')[amountAt]!), 0n)).toBe(payroll!.total!.fen);

    const wb = new ExcelJS.Workbook();
    const xlsx = await readFile((await (await download(approver, '导出 XLSX')).path())!);
    await wb.xlsx.load(xlsx.buffer.slice(xlsx.byteOffset, xlsx.byteOffset + xlsx.byteLength) as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    const titles = (sheet.getRow(1).values as string[]).slice(1);
    const col = titles.indexOf('金额（元）') + 1;
    const amounts: bigint[] = [];
    sheet.eachRow((row, n) => n > 1 && amounts.push(fen(String(row.getCell(col).value))));
    expect(amounts).toHaveLength(payroll!.lines);
    expect(amounts.reduce((x, y) => x + y, 0n)).toBe(payroll!.total!.fen);
    // The bank gets the full account numbers (an approver may read them); the screen shows them too.
    expect(csv).toContain('6222020000000000001');

    // A person's page shows what the month paid them: the regular line and the back pay.
    const { lines: paid } = await a.stack.client.listPayrollLines({ month: { year: 2022, month: 10 }, personId: '', page: undefined }, await token('approver', 'qian'));
    const backPaid = paid.find((l) => l.kind === PayrollLineKind.PAYROLL_LINE_KIND_BACK_PAY)!.personId;
    await approver.goto(`${gw.url}/console/persons/${backPaid}`);
    await approver.getByRole('tab', { name: '发放明细' }).click();
    await approver.getByLabel('月份').fill('2022-10');
    await expect.poll(() => approver.getByTestId('person-payroll').locator('tr.ant-table-row').count()).toBe(paid.filter((l) => l.personId === backPaid).length);
    expect(await approver.getByTestId('person-payroll').textContent()).toContain('补发');
  });
});
