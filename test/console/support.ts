/**
 * The staff console's browser tests: Debian's Chromium (deploy/local/browser.sh) driven by
 * playwright-core, signing in through the development sign-in as a clerk or an approver, and
 * screenshots of each screen under .local/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect, onTestFailed } from 'vitest';

export const SHOTS = path.resolve(import.meta.dirname, '../../.local/screenshots');
const CHROMIUM = process.env.YOUFU_CHROMIUM ?? '/usr/bin/chromium';
// As the machine's probe runs it: no sandbox as root, and nothing that reaches out of this machine.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** Picks `option` (its exact words) in the Ant Design select labelled `label`. */
export async function choose(page: Page, label: string, option: string | RegExp) {
  // Ant Design labels both the select and its search box.
  await page.getByLabel(label).first().click();
  await page
    .locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option')
    .filter({ hasText: typeof option === 'string' ? new RegExp(`^${option}$`) : option })
    .first()
    .click();
}

export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

let signedIn = 0;

/** A Chinese-speaking member of staff in Shanghai, signed in at the console of `url` in a browser context of their own. */
export async function signIn(browser: Browser, url: string, role: '经办人' | '审批人', subject: string): Promise<Page> {
  const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1400, height: 900 }, acceptDownloads: true })).newPage();
  // What the screen showed when a test failed, for whoever reads the failure.
  const n = ++signedIn;
  onTestFailed(async () => void (await shot(page, `failed-${n}-${subject}`).catch(() => undefined)));
  await page.goto(`${url}/`);
  await expect.poll(() => page.getByText('开发环境登录').count()).toBeGreaterThan(0);
  await choose(page, '角色', role);
  await page.getByLabel('姓名').fill(subject);
  await page.getByRole('button', { name: /^登\s?录$/ }).click();
  await page.getByTestId('who').waitFor();
  expect(await page.getByTestId('who').textContent()).toContain(subject);
  return page;
}

/** Ant Design writes two-character button labels with a space (`提 交`): a name that matches either (an icon's name may come first). */
export const label = (words: string) => new RegExp(`${[...words].join('\\s?')}$`);
