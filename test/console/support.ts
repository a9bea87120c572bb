/**
 * The staff console's browser tests: Debian's Chromium (deploy/local/browser.sh) driven by
 * playwright-core, signing in through the development sign-in as a clerk or an approver, and
 * screenshots of each screen under .local/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect, onTestFailed } from 'vitest';
import type { Clock } from '../../services/lib/civil';
import { startService } from '../../services/lib/runtime';
import { resettlementModule } from '../../services/resettlement/index';
import { freshDatabase, serviceEnv, topicPrefix, uniqueId } from '../support/env';

export const SHOTS = path.resolve(import.meta.dirname, '../../.local/screenshots');
const CHROMIUM = process.env.YOUFU_CHROMIUM ?? '/usr/bin/chromium';
// As the machine's probe runs it: no sandbox as root, and nothing that reaches out of this machine.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run bash deploy/local/browser.sh (it installs Debian's), or set YOUFU_CHROMIUM`);
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

/** A screenshot of a screen, which must also name every control it shows (axe-core's naming rules). */
export async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  expect(await unlabelled(page), `unlabelled controls on ${name}`).toEqual([]);
}

let signedIn = 0;

/** A Chinese-speaking member of staff in Shanghai, signed in at the console of `url` in a browser context of their own. */
export async function signIn(browser: Browser, url: string, role: '经办人' | '审批人', subject: string): Promise<Page> {
  const page = await (await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1400, height: 900 }, acceptDownloads: true })).newPage();
  // What the screen showed when a test failed, for whoever reads the failure.
  const n = ++signedIn;
  onTestFailed(async () => void (await page.screenshot({ path: path.join(SHOTS, `failed-${n}-${subject}.png`), fullPage: true }).catch(() => undefined)));
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

/** The resettlement service on a database of its own (the console's work queue and case screens call it). */
export async function startResettlement(label: string, clock: Clock) {
  const db = await freshDatabase(label);
  const svc = await startService(resettlementModule, { env: serviceEnv(db.adminUrl, topicPrefix(label), { YOUFU_ACTIVITY_QUEUE: uniqueId('resettlement') }), clock });
  return {
    address: `127.0.0.1:${svc.grpcPort}`,
    async stop() {
      await svc.stop();
      await db.drop();
    },
  };
}

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
/** The rules about names: every input, select, switch, button and link has one a screen reader can say. */
const NAMED = ['label', 'button-name', 'select-name', 'link-name', 'aria-input-field-name', 'aria-toggle-field-name', 'input-button-name', 'image-alt', 'aria-command-name'];

/** axe-core's findings on the page for the naming rules (empty when every control is labelled). */
export async function unlabelled(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async (rules) => {
    // Runs in the page (this file's types have no DOM).
    const g = globalThis as unknown as { document: unknown; axe: { run(ctx: unknown, o: unknown): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } };
    const r = await g.axe.run(g.document, { runOnly: { type: 'rule', values: rules } });
    return r.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
  }, NAMED);
}
