/**
 * The staff console in a real browser: Debian's Chromium (deploy/local/browser.sh) driven by
 * playwright-core, against the gateway and the services on the real stack. Screenshots of each
 * screen go to .local/screenshots/.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idGenerator, movableClock } from '../persons/support';
import { uniqueId } from '../support/env';
import { hospitalCode, startGatewayStack } from '../gateway/support';
import { choose, label, launchBrowser, shot, signIn as signInAt } from './support';

describe('staff console', () => {
  let stack: Awaited<ReturnType<typeof startGatewayStack>>;
  let browser: Browser;
  const person = idGenerator(9090)({ gender: 'MALE', region: '440106' });
  const name = `测试${uniqueId('n').slice(-4)}`;

  beforeAll(async () => {
    stack = await startGatewayStack('console', movableClock('2026-06-20').clock, hospitalCode('c'), []);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const signIn = (role: '经办人' | '审批人', subject: string) => signInAt(browser, stack.gw.url, role, subject);

  it('a clerk proposes a registration (the API’s refusal shown at its field), cannot approve it — no button, and the API refuses — and an approver approves it', async () => {
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
    expect(await approver.getByText(name).count()).toBeGreaterThan(0);
    await shot(approver, 'person');
    await approver.getByRole('menuitem', { name: '优抚对象' }).click();
    await expect.poll(() => approver.getByTestId('persons').getByText(name).count()).toBeGreaterThan(0);
    await shot(approver, 'persons');
    // The development sign-in validates what it signs.
    const badRole = await fetch(`${stack.gw.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'service', subject: 'x' }) });
    expect(badRole.status).toBe(400);
    expect(((await badRole.json()) as { error: { fieldViolations: { field: string }[] } }).error.fieldViolations[0]!.field).toBe('role');
    // English on request.
    await approver.getByRole('button', { name: 'English' }).click();
    expect(await approver.getByRole('menuitem', { name: 'Entitled persons' }).count()).toBe(1);
  });
});
