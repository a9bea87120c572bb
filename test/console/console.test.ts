/**
 * The staff console in a real browser: Debian's Chromium (deploy/local/browser.sh) driven by
 * playwright-core, against the gateway and the services on the real stack. Screenshots of each
 * screen go to .local/screenshots/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { addDays, systemClock } from '../../services/lib/civil';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idGenerator, movableClock } from '../persons/support';
import { uniqueId } from '../support/env';
import { gatewayFor, hospitalCode, startGatewayStack } from '../gateway/support';
import { startIdentityProvider } from './identity-provider';
import { choose, label, launchBrowser, shot, SHOTS, signIn as signInAt, startResettlement, unlabelled } from './support';

const today = systemClock.today();

describe('staff console', () => {
  let stack: Awaited<ReturnType<typeof startGatewayStack>>;
  let browser: Browser;
  let resettlement: Awaited<ReturnType<typeof startResettlement>>;
  const person = idGenerator(9090)({ gender: 'MALE', region: '440106' });
  const name = `测试${uniqueId('n').slice(-4)}`;

  beforeAll(async () => {
    // The production body limit (1 MiB): an import's batch of 100 rows is about 70 KB.
    const { clock } = movableClock('2026-06-20');
    // Resettlement on the real clock: its case workflows keep the Temporal server's time.
    resettlement = await startResettlement('console-queue', systemClock);
    stack = await startGatewayStack('console', clock, hospitalCode('c'), [], { env: { YOUFU_GATEWAY_MAX_BODY_BYTES: String(1024 * 1024), YOUFU_RESETTLEMENT_ADDR: resettlement.address } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await resettlement?.stop();
  });

  const signIn = (role: '经办人' | '审批人', subject: string) => signInAt(browser, stack.gw.url, role, subject);

  it('a clerk proposes a registration (the API’s refusal shown at its field), cannot approve it — no button, and the API refuses — an approver approves it, and a later payee change shows as before / after in the audit trail', async () => {
    const clerk = await signIn('经办人', 'clerk-li');
    await clerk.getByRole('menuitem', { name: '登记' }).click();
    const bad = person.id.slice(0, 17) + (person.id[17] === '1' ? '2' : '1');
    await clerk.getByLabel('身份证号').fill(bad);
    await clerk.getByLabel('姓名').fill(name);
    await choose(clerk, '性别', '男');
    await clerk.getByLabel('出生日期').fill(person.birthDate);
    await clerk.getByLabel('区县代码').fill(person.region);
    await choose(clerk, '户籍性质', '城镇');
    await clerk.getByLabel('批准日期').fill('2026-05-10');
    await clerk.getByLabel('开户行').fill('中国工商银行广州分行');
    await clerk.getByLabel('账号').fill('6222020000000000009');
    await clerk.getByLabel('户名').fill(name);
    await clerk.getByLabel('残疾等级').fill('5');
    await choose(clerk, '致残原因', '因战');
    await clerk.getByLabel('身份生效日期').fill('2020-05-01');
    await clerk.getByRole('button', { name: label('提交') }).click();
    // The persons service refuses the check character; the console puts it under the ID field.
    const idItem = clerk.locator('.ant-form-item').filter({ has: clerk.getByLabel('身份证号') });
    await expect.poll(() => idItem.locator('.ant-form-item-explain-error').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await shot(clerk, 'register-refused');
    await clerk.getByLabel('身份证号').fill(person.id);
    await clerk.getByRole('button', { name: label('提交') }).click();
    await clerk.getByTestId('change-status').waitFor({ timeout: 15_000 });
    expect(await clerk.getByTestId('change-status').textContent()).toBe('待审批');
    const changeId = clerk.url().split('/').pop()!;
    await shot(clerk, 'change-proposed');
    expect(await clerk.getByRole('button', { name: /批\s?准/ }).count()).toBe(0);
    // The button is not the rule: the API refuses the clerk anyway.
    const refused = await clerk.evaluate(async (id) => {
      // Runs in the page (this file's types have no DOM).
      const { sessionStorage } = globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } };
      const s = JSON.parse(sessionStorage.getItem('youfu.session')!) as { token: string };
      const r = await fetch('/v1/youfu.persons.v1.EntitledPersonService/ApproveChange', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` }, body: JSON.stringify({ changeId: id }) });
      return { http: r.status, body: (await r.json()) as { error: { status: string } } };
    }, changeId);
    expect(refused.http).toBe(403);
    expect(refused.body.error.status).toBe('PERMISSION_DENIED');

    const approver = await signIn('审批人', 'approver-wang');
    const waiting = approver.getByTestId('waiting');
    await expect.poll(() => waiting.locator(`a[href$="/changes/${changeId}"]`).count()).toBe(1);
    await shot(approver, 'work-queue');
    await waiting.locator(`a[href$="/changes/${changeId}"]`).click();
    await approver.getByRole('button', { name: /批\s?准/ }).click();
    await approver.locator('.ant-modal').getByRole('button', { name: /批\s?准/ }).click();
    await expect.poll(() => approver.getByTestId('change-status').textContent(), { timeout: 15_000 }).toBe('已批准');
    await approver.getByRole('link', { name: /[0-9a-f-]{36}/ }).click();
    await approver.getByTestId('person').waitFor();
    const personId = approver.url().split('/').pop()!;
    expect(await approver.getByText(name).count()).toBeGreaterThan(0);
    await shot(approver, 'person');
    await approver.getByRole('menuitem', { name: '优抚对象' }).click();
    await expect.poll(() => approver.getByTestId('persons').getByText(name).count()).toBeGreaterThan(0);
    await shot(approver, 'persons');
    // A later change: the clerk proposes a new payee account on the person's page; approved, it shows as before / after.
    await clerk.goto(`${stack.gw.url}/console/persons/${personId}`);
    await choose(clerk, '变更类型', '变更收款账户');
    const propose = clerk.getByTestId('propose-change');
    await propose.getByLabel('开户行').fill('中国农业银行广州分行');
    await propose.getByLabel('账号').fill('6228480000000000077');
    await propose.getByLabel('户名').fill(name);
    await propose.getByRole('button', { name: label('提交') }).click();
    await expect.poll(() => clerk.getByTestId('change-status').textContent(), { timeout: 15_000 }).toBe('待审批');
    const payeeChange = clerk.url().split('/').pop()!;
    await approver.goto(`${stack.gw.url}/console/changes/${payeeChange}`);
    // The approver decides on the change shown as before / after, while it is still pending.
    const pendingDiff = approver.getByTestId('change-diff');
    await expect.poll(() => pendingDiff.locator('tbody tr').filter({ hasText: 'payee.account' }).textContent(), { timeout: 15_000 }).toMatch(/\*+0009.*\*+0077/);
    await shot(approver, 'change-pending-diff');
    await approver.getByRole('button', { name: label('批准') }).click();
    await approver.locator('.ant-modal').getByRole('button', { name: label('批准') }).click();
    await expect.poll(() => approver.getByTestId('change-status').textContent(), { timeout: 15_000 }).toBe('已批准');
    const diff = approver.getByTestId('change-diff');
    await expect.poll(() => diff.locator('tbody tr').filter({ hasText: 'payee.account' }).textContent()).toMatch(/\*+0009.*\*+0077/);
    expect(await diff.locator('tbody tr').filter({ hasText: 'payee.bank' }).textContent()).toContain('中国农业银行广州分行');
    await shot(approver, 'change-diff');
    await approver.goto(`${stack.gw.url}/console/persons/${personId}`);
    await approver.getByRole('tab', { name: '审计记录' }).click();
    await expect.poll(() => approver.getByTestId('audit-trail').locator('tr.ant-table-row').count()).toBe(2);
    await approver.getByRole('tab', { name: '待遇' }).click();
    await expect.poll(() => approver.getByTestId('periods').locator('tr.ant-table-row').count()).toBeGreaterThan(0);
    await shot(approver, 'person-benefits');

    // The development sign-in validates what it signs.
    const badRole = await fetch(`${stack.gw.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'service', subject: 'x' }) });
    expect(badRole.status).toBe(400);
    expect(((await badRole.json()) as { error: { fieldViolations: { field: string }[] } }).error.fieldViolations[0]!.field).toBe('role');
    // English on request.
    await approver.getByRole('button', { name: 'English' }).click();
    expect(await approver.getByRole('menuitem', { name: 'Entitled persons' }).count()).toBe(1);
  });

  it('imports a legacy registry of 1,000 rows with 10 bad ones: progress, the 10 errors shown and downloadable, a resume after a dropped connection, and the approval', async () => {
    // The file as a legacy system writes it: a CSV with Chinese column names.
    const gen = idGenerator(4242);
    const header = ['身份证号', '姓名', '性别', '出生日期', '区县代码', '户籍性质', '批准日期', '开户行', '账号', '户名', '优抚身份', '残疾等级', '致残原因', '身份生效日期', '已发放至'];
    const rows = Array.from({ length: 1000 }, (_, n) => {
      const g = gen({ region: '440111' });
      return [g.id, `导入${n}`, g.gender === 'MALE' ? '男' : '女', g.birthDate, g.region, '城镇', '2026/05/10', '中国建设银行广州分行', `62170000${String(n).padStart(8, '0')}`, `导入${n}`, '残疾军人', '6', '因战', '2020-05-01', '2026-05'];
    });
    // Ten bad rows (file row = index + 2): four wrong check characters, two without a name, two
    // with grade 11, two repeating an earlier row's person.
    const wanted = new Map<number, string>();
    for (const n of [7, 107, 207, 307]) {
      const id = rows[n]![0]!;
      rows[n]![0] = id.slice(0, 17) + (id[17] === '1' ? '2' : '1');
      wanted.set(n + 2, 'person.nationalId');
    }
    for (const n of [433, 533]) {
      rows[n]![1] = '';
      wanted.set(n + 2, 'person.name');
    }
    for (const n of [633, 733]) {
      rows[n]![11] = '11';
      wanted.set(n + 2, 'person.identities[0].attributes.disabilityGrade');
    }
    for (const [n, twin] of [[600, 5], [900, 10]] as const) {
      rows[n] = [...rows[twin]!];
      wanted.set(n + 2, 'person.nationalId');
    }
    const file = path.join(SHOTS, '..', 'legacy-registry.csv');
    writeFileSync(file, [header, ...rows].map((r) => r.join(',')).join('\r\n'));

    const clerk = await signIn('经办人', 'clerk-import');
    await clerk.getByRole('menuitem', { name: '批量导入' }).click();
    // The fourth batch's connection drops: the import stops after 300 rows.
    let calls = 0;
    await clerk.route('**/ImportPersons', (route) => (++calls === 4 ? route.abort('connectionreset') : route.continue()));
    await clerk.locator('#import-file').setInputFiles(file);
    await clerk.getByRole('button', { name: '批量导入 (1000)' }).click();
    await expect.poll(() => clerk.getByRole('alert').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await clerk.getByTestId('import-progress').textContent()).toContain('300 / 1000');
    await clerk.unroute('**/ImportPersons');
    // Reloaded, the same file again: it resumes after row 300.
    await clerk.reload();
    await clerk.locator('#import-file').setInputFiles(file);
    await clerk.getByText('上次导入未完成：已处理 300 行，共 1000').waitFor();
    await clerk.getByRole('button', { name: '继续导入' }).click();
    await clerk.getByTestId('import-done').waitFor({ timeout: 60_000 });
    expect(await clerk.getByTestId('import-progress').textContent()).toContain('1000 / 1000');
    expect(await clerk.getByTestId('import-accepted').textContent()).toContain('990');
    expect(await clerk.getByTestId('import-rejected').textContent()).toContain('10');
    await shot(clerk, 'import');
    const [d] = await Promise.all([clerk.waitForEvent('download'), clerk.getByRole('button', { name: '下载错误明细' }).click()]);
    const errors = readFileSync((await d.path())!, 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n').slice(1).map((l) => l.split(','));
    expect(new Map(errors.map((e) => [Number(e[0]), e[1]]))).toEqual(new Map([...wanted].sort(([a], [b]) => a - b)));
    // Each error row carries the file's own cells, to fix and import again.
    expect(errors.find((e) => e[0] === '602')).toContain(rows[600]![0]);

    // The import is one change request: an approver approves it, and the 990 are registered.
    const changeId = (await clerk.getByTestId('import-done').getByRole('link').textContent())!;
    const approver = await signIn('审批人', 'approver-import');
    await approver.goto(`${stack.gw.url}/console/changes/${changeId}`);
    await approver.getByRole('button', { name: label('批准') }).click();
    await approver.locator('.ant-modal').getByRole('button', { name: label('批准') }).click();
    await expect.poll(() => approver.getByTestId('change-status').textContent(), { timeout: 60_000 }).toBe('已批准');
    await approver.getByRole('menuitem', { name: '优抚对象' }).click();
    await approver.getByLabel('区县代码').fill('440111');
    await approver.getByRole('button', { name: label('查询') }).click();
    await expect.poll(() => approver.getByTestId('persons').locator('tbody tr').count()).toBe(20);
  });

  it('signs in at the bureau’s identity provider with the authorization code and PKCE, the development sign-in off', async () => {
    const idp = await startIdentityProvider({ clientId: 'youfu-console', staff: { subject: 'zhou', role: 'approver' } });
    const gw = await gatewayFor(stack.s, { YOUFU_RESETTLEMENT_ADDR: resettlement.address, YOUFU_CONSOLE_OIDC_ISSUER: idp.url, YOUFU_CONSOLE_OIDC_CLIENT_ID: 'youfu-console', YOUFU_CONSOLE_DEV_SIGN_IN: 'false' });
    try {
      const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })).newPage();
      await page.goto(`${gw.url}/console/`);
      await page.getByRole('button', { name: '统一身份认证登录' }).click();
      await page.getByTestId('who').waitFor();
      expect(await page.getByTestId('who').textContent()).toContain('zhou');
      expect(page.url()).not.toContain('code=');
      expect(idp.tokens).toEqual([{ ok: true }]);
      expect(await page.getByText('开发环境登录').count()).toBe(0);
      // The provider's token is the staff token the services take: the approver's work queue loads.
      await expect.poll(() => page.getByTestId('waiting').count()).toBe(1);
      // A callback this browser did not start is refused, and nothing is signed in.
      const other = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
      await other.goto(`${gw.url}/console/callback?code=stolen&state=guess`);
      await other.getByRole('alert').waitFor();
      expect(await other.getByRole('alert').textContent()).toContain('STATE_MISMATCH');
      expect(idp.tokens).toHaveLength(1);
    } finally {
      await gw.stop();
      await idp.stop();
    }
  });

  it('checks the screens for unlabelled controls (the check every screenshot makes finds them)', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.setContent('<main><input id="x"><button></button><label for="y">名</label><input id="y"></main>');
    expect(await unlabelled(page)).toEqual([expect.stringMatching(/^button-name: button/), expect.stringMatching(/^label: #x/)]);
  });

  it('works from the keyboard: signing in with Enter, a menu item opened with Enter', async () => {
    const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
    await page.goto(`${stack.gw.url}/console/`);
    await page.getByLabel('姓名').focus();
    await page.keyboard.type('keyboard-li');
    await page.keyboard.press('Enter');
    await page.getByTestId('who').waitFor();
    // A menu item takes the focus and opens with Enter.
    await page.getByRole('menuitem', { name: '登记' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain('/console/register');
  });

  it('keeps what was typed when the session expires mid-form: a sign-in over the page, then the same form submits', async () => {
    const clerk = await signIn('经办人', 'expiring-li');
    await clerk.getByRole('menuitem', { name: '退役安置' }).click();
    const form = clerk.getByTestId('receive-case');
    const soldier = idGenerator(5353)({ birthDate: '2004-02-02', gender: 'MALE' });
    await form.getByLabel('身份证号').fill(soldier.id);
    await form.getByLabel('姓名').fill('李过期');
    await form.getByLabel('军种').fill('海军');
    await choose(clerk, '类别', '义务兵');
    await form.getByLabel('入伍日期').fill('2024-03-10');
    await form.getByLabel('退役日期').fill(addDays(today, -10));
    await form.getByLabel('退役批准日期').fill(addDays(today, -8));
    await form.getByLabel('区县代码').fill('440106');
    await choose(clerk, '户籍性质', '城镇');
    // The token goes bad while she types (as an expired one would): the submit is refused with 401.
    await clerk.evaluate(() => {
      const { sessionStorage } = globalThis as unknown as { sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } };
      const s = JSON.parse(sessionStorage.getItem('youfu.session')!) as { token: string };
      sessionStorage.setItem('youfu.session', JSON.stringify({ ...s, token: `${s.token.slice(0, -4)}AAAA` }));
    });
    await form.getByRole('button', { name: label('提交') }).click();
    const dialog = clerk.locator('.ant-modal').filter({ hasText: '开发环境登录' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('登录已过期');
    await dialog.getByLabel('姓名').fill('expiring-li');
    await dialog.getByRole('button', { name: /^登\s?录$/ }).click();
    await dialog.waitFor({ state: 'hidden' });
    // Everything typed is still there: the same form submits.
    expect(await form.getByLabel('姓名').inputValue()).toBe('李过期');
    await form.getByRole('button', { name: label('提交') }).click();
    await expect.poll(() => clerk.getByTestId('case-status').textContent(), { timeout: 15_000 }).toBe('已接收');
  });
});
