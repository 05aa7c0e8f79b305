/**
 * End to end, as an operator would: headless Debian chromium drives the browser console served
 * by the real host (services, vault, controller, recovery) against a real small lab rack and a
 * real temporary folder as the external storage. The tests run in order and share one profile:
 * enable backup through the wizard, back up now, then lose the rack (`lab-rack disaster` +
 * `redeploy --recovery`) and recover it through the Cloud recovery wizard.
 *
 * Every wizard step is screenshotted into test-results/e2e-screenshots/ and checked with axe-core
 * (serious and critical violations fail); every request the page makes must go to the console's
 * own loopback origin.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runLabRack } from '../helpers/lab-rack.js';
import {
  axeViolations,
  buildRenderer,
  guardOrigins,
  launchChromium,
  snapshot,
  startConsoleHost,
  type AxeViolation,
  type ConsoleHost,
} from './harness.js';
import { COMPONENTS } from '../../shared/contract/common.js';

/** A small lab rack backs up in well under a minute here; this bounds a stuck job. */
const JOB_LIMIT_MS = 120_000;

const scratch = mkdtempSync(join(tmpdir(), 'lifeboat-e2e-'));
const home = join(scratch, 'profile');
const external = join(scratch, 'external-storage');
let host: ConsoleHost;
let browser: Browser;
let page: Page;
let foreign: string[] = [];
const pageErrors: string[] = [];
const violations: AxeViolation[] = [];
/** What the operator stored offline: the generated key as the key sheet showed it. */
let storedKey = '';
let backupId = '';
/** The rack's own digests before the disaster (from `lab-rack digest`, not from Lifeboat). */
let digestsBefore: Record<string, string> = {};

beforeAll(async () => {
  const rendererDir = join(scratch, 'renderer');
  buildRenderer(rendererDir);
  host = await startConsoleHost(home, rendererDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.setDefaultTimeout(20_000);
  foreign = guardOrigins(page, host.origin);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(host.url);
  await unlockVaultIfAsked();
}, 150_000);

// A failed step leaves a picture of the page as it was, beside the step screenshots.
afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page !== undefined) {
    await snapshot(page, `FAILED-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  }
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * Without an OS keychain (vitest run outside `npm test`) the vault asks for a passphrase first;
 * under `npm test` the keychain is there and the screens open directly.
 */
async function unlockVaultIfAsked(): Promise<void> {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page
    .locator('.app-footer')
    .getByText(/Secrets protected/)
    .waitFor();
  const field = page.getByLabel('Vault passphrase');
  if (!(await field.isVisible())) return;
  await field.fill('a passphrase for the e2e vault');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await field.waitFor({ state: 'detached' });
}

const nav = () => page.getByRole('navigation', { name: 'Screens' });
const heading = () => page.locator('main h1').first().innerText();
const currentStep = () => page.locator('[data-wizard-step]').getAttribute('data-wizard-step');
const wizardButton = (name: string) =>
  page.locator('.wizard-actions').getByRole('button', { name, exact: true });

async function goTo(screen: string, title = screen): Promise<void> {
  await nav().getByRole('button', { name: screen, exact: true }).click();
  await expect.poll(heading).toBe(title);
}

/** Screenshot (a test artifact) and axe check of what is on screen now. */
async function record(name: string, docsName?: string): Promise<void> {
  await snapshot(page, name, docsName);
  violations.push(...(await axeViolations(page, name)));
}

async function next(expected: string): Promise<void> {
  await expect.poll(() => wizardButton('Next').isEnabled()).toBe(true);
  await wizardButton('Next').click();
  await expect.poll(currentStep).toBe(expected);
}

/** Waits for a job card to leave queued/running/paused, and returns the status it ended in. */
async function finalStatus(job: Locator): Promise<string | null> {
  const ongoing = new Set(['queued', 'running', 'paused', null]);
  await expect
    .poll(async () => ongoing.has(await job.getAttribute('data-job-status')), {
      timeout: JOB_LIMIT_MS,
      interval: 500,
    })
    .toBe(false);
  return job.getAttribute('data-job-status');
}

/** Status of every component row in a progress or report table under `scope`. */
async function componentStatuses(scope: string): Promise<Record<string, string | null>> {
  const rows = page.locator(`${scope} tr[data-component]`);
  const statuses: Record<string, string | null> = {};
  for (const row of await rows.all()) {
    const name = (await row.getAttribute('data-component')) ?? '?';
    statuses[name] = await row.locator('[data-status]').first().getAttribute('data-status');
  }
  return statuses;
}

async function rackDigests(): Promise<Record<string, string>> {
  const result = await runLabRack(['digest', '--json', '--state', join(home, 'lab-rack')]);
  if (result.code !== 0) throw new Error(`lab-rack digest: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, string>;
}

async function labRack(args: string[]): Promise<void> {
  const result = await runLabRack([...args, '--state', join(home, 'lab-rack')]);
  if (result.code !== 0) throw new Error(`lab-rack ${args.join(' ')}: ${result.stderr}`);
}

const allSucceeded = Object.fromEntries(COMPONENTS.map((c) => [c, 'Succeeded']));

/** The Cloud recovery screen, in the mode whose radio button is labelled `mode`. */
async function openRecoveryWizard(mode: string, title: string): Promise<void> {
  await nav().getByRole('button', { name: 'Cloud recovery', exact: true }).click();
  await page.getByLabel(mode).check();
  await expect.poll(heading).toBe(title);
}

/** Location, backup and key steps: discover, choose the backup, open it with the stored key, verify. */
async function openAndVerify(prefix: string): Promise<void> {
  expect(await currentStep()).toBe('Location');
  await page.getByLabel('Location path').fill(external);
  await page.getByRole('button', { name: 'Discover backups' }).click();
  await expect
    .poll(() => page.getByTestId('discovered-count').innerText(), { timeout: 60_000 })
    .toMatch(/^Found 1 backup at /);
  await record(`${prefix}-1-location`);

  await next('Backup');
  await page.getByLabel(`Backup ${backupId}`).check();
  await record(`${prefix}-2-backup`);

  await next('Decryption key');
  await page.getByLabel('Backup key').fill(storedKey);
  await page.getByRole('button', { name: 'Open backup' }).click();
  await page.getByLabel('Components in this backup').waitFor();
  await page.getByRole('button', { name: 'Verify backup' }).click();
  // Verified, or the verification's failure with its typed error: whichever comes first.
  const verified = page.getByTestId('backup-verified');
  await verified.or(page.locator('main [role="alert"]')).first().waitFor({ timeout: JOB_LIMIT_MS });
  expect(await verified.isVisible()).toBe(true);
  await record(`${prefix}-3-key-verified`);
}

/** The target step: connect, compare the fingerprint, credentials, a pre-flight that passes. */
async function confirmTarget(prefix: string): Promise<void> {
  await next('Target rack');
  const url = page.getByLabel('Rack API URL');
  if ((await url.inputValue()) !== host.rack.url) await url.fill(host.rack.url);
  await page.getByRole('button', { name: 'Connect to the rack' }).click();
  const shown = await page.getByTestId('rack-fingerprint').innerText();
  // The fingerprint the operator compares by eye is the rack's own certificate's.
  expect(shown.replace(/[^0-9A-Fa-f]/g, '').toUpperCase()).toBe(
    host.rack.fingerprint.replace(/:/g, '').toUpperCase(),
  );
  // The probe sends nothing before trust, so recovery mode is proven by the pre-flight below.
  await page.getByLabel('The fingerprint matches the one the rack shows').check();
  await page.getByLabel('Rack user name').fill(host.rack.username);
  const password = readFileSync(host.rack.passwordFile, 'utf8').trim();
  await page.getByLabel('Rack password').fill(password);
  await page.getByRole('button', { name: 'Run pre-flight' }).click();
  const preflight = page.getByTestId('preflight');
  await preflight.waitFor({ timeout: 30_000 });
  await record(`${prefix}-4-target-preflight`);
  expect(await preflight.getAttribute('data-ok')).toBe('true');
  const checks = preflight.locator('[data-check]');
  expect(await checks.count()).toBeGreaterThan(0);
  for (const check of await checks.all()) expect(await check.getAttribute('data-ok')).toBe('true');
}

/** Restore with per-component progress, then the report: every component's digest matches. */
async function restoreAndReport(prefix: string, start: string): Promise<void> {
  await next('Restore');
  await page.getByRole('button', { name: start }).click();
  const job = page.locator('[data-job-status]').first();
  await job.waitFor();
  await record(`${prefix}-5a-restore-running`);
  expect(await finalStatus(job)).toBe('succeeded');
  expect(await componentStatuses('main')).toEqual(allSucceeded);
  await record(`${prefix}-5b-restore-done`);

  await next('Report');
  const report = page.getByTestId('recovery-report');
  await report.waitFor({ timeout: 30_000 });
  await record(`${prefix}-6-report`);
  expect(await report.getAttribute('data-all-match')).toBe('true');
  const rows = report.locator('tr[data-component]');
  expect(await rows.count()).toBe(COMPONENTS.length);
  for (const row of await rows.all()) {
    expect(await row.getAttribute('data-match')).toBe('true');
    expect(await row.locator('.badge').innerText()).toBe('Match');
  }
  expect(await report.locator('h3').innerText()).toContain('every digest matches');
}

describe('the browser console, end to end', () => {
  it('opens on the dashboard of an unconfigured lab set-up', async () => {
    await expect.poll(heading).toBe('Dashboard');
    expect(await page.locator('.app-header .badge.lab').innerText()).toBe('LAB');
    await page.getByText('Backup is not enabled yet').waitFor();
    await record('00-dashboard-unconfigured');
  });

  it('enables backup through the wizard: location test, credentials, key shown once, schedule, summary', async () => {
    await goTo('Enable backup');
    expect(await currentStep()).toBe('Location');
    await page.getByLabel('Location path').fill(external);
    await expect(wizardButton('Next').isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Test location', exact: true }).click();
    const test = page.getByTestId('location-test');
    await test.waitFor();
    expect(await test.locator('[data-check="Reachable"]').getAttribute('data-ok')).toBe('true');
    expect(await test.locator('[data-check^="Writable"]').getAttribute('data-ok')).toBe('true');
    expect(await test.innerText()).toMatch(/Free space: [\d.]+ \w+ of [\d.]+ \w+/);
    await record('enable-1-location');

    await next('Credentials');
    await page.getByText('A folder on this computer needs no credentials').waitFor();
    await page.getByRole('button', { name: 'Test location with these credentials' }).click();
    await page.getByTestId('location-test').waitFor();
    await record('enable-2-credentials');

    await next('Encryption');
    await record('enable-3a-encryption-choice');
    await page.getByRole('button', { name: 'Generate key' }).click();
    const sheet = page.getByTestId('generated-key');
    await sheet.waitFor();
    storedKey = (await sheet.innerText()).split(/\s+/).filter(Boolean).join('-');
    const groups = storedKey.split('-');
    expect(groups.length).toBeGreaterThan(4);
    expect(await wizardButton('Next').isDisabled()).toBe(true);
    await record('enable-3b-encryption-key-shown-once', 'enable-encryption-step');
    const retypeLabel = await page.getByText(/^Group \d+ of the key/).innerText();
    const group = Number(/Group (\d+)/.exec(retypeLabel)?.[1]);
    await page.getByLabel('I have stored it offline').check();
    await page.getByLabel(retypeLabel).fill(groups[group - 1] ?? '');
    await page.getByRole('button', { name: 'Confirm key' }).click();
    await page.getByTestId('key-confirmed').waitFor();
    // Shown once: after the confirmation the key is nowhere on the page.
    expect(await sheet.count()).toBe(0);
    expect(await page.content()).not.toContain(`${groups[0]}-${groups[1]}`);
    await record('enable-3c-encryption-confirmed');

    await next('Schedule and retention');
    await page.getByLabel('Back up every (hours)').waitFor();
    await record('enable-4-schedule');

    await next('Summary');
    const summary = await page.getByLabel('Summary').innerText();
    expect(summary).toContain(external);
    expect(summary).toContain('None (local folder)');
    expect(summary).toMatch(/fingerprint [0-9a-f]{16}/);
    expect(summary).toContain(host.rack.url);
    await record('enable-5-summary');

    await wizardButton('Enable backup').click();
    await page.getByTestId('backup-enabled').waitFor({ timeout: 30_000 });
    await record('enable-6-enabled');
  }, 120_000);

  it(
    'backs up now and shows it Succeeded with every component Succeeded',
    async () => {
      await page.getByRole('button', { name: 'Back up now' }).click();
      await expect.poll(heading).toBe('Backups');
      const job = page.locator('[data-job-status]').first();
      await job.waitFor();
      await record('backups-1-running');
      expect(await finalStatus(job)).toBe('succeeded');
      // The job card's per-component table: all ten components, each Succeeded.
      expect(await componentStatuses('main')).toEqual(allSucceeded);
      // The list: the new backup, Succeeded, 10 of 10 components.
      const row = page.locator('[data-row-key]').first();
      await row.waitFor();
      backupId = (await row.getAttribute('data-row-key')) ?? '';
      expect(backupId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('Succeeded');
      expect(await row.innerText()).toContain('10 of 10');
      await record('backups-2-succeeded', 'backups-list');
      // The encrypted backup really is in the folder the operator named.
      expect(readdirSync(external).length).toBeGreaterThan(0);
      expect(JSON.stringify(readdirSync(external, { recursive: true }))).not.toContain('keyvault');

      await goTo('Dashboard');
      await page.getByTestId('last-succeeded').waitFor();
      expect(await page.getByTestId('last-succeeded').innerText()).not.toMatch(/never|none/i);
      await record('01-dashboard-protected', 'dashboard');
    },
    JOB_LIMIT_MS + 30_000,
  );

  it(
    'runs a recovery drill through the wizard, leaving the live lab rack untouched',
    async () => {
      expect(backupId).not.toBe('');
      digestsBefore = await rackDigests();
      await openRecoveryWizard('Recovery drill into a lab rack', 'Recovery drill');
      await openAndVerify('drill');
      // The drill makes its own lab rack (redeployed empty, in recovery mode): no target to pick.
      await next('Target rack');
      await page.getByTestId('drill-target').waitFor();
      await record('drill-4-target');
      await restoreAndReport('drill', 'Start drill');
      expect(await page.getByTestId('recovery-report').locator('h3').innerText()).toMatch(
        /^Drill report/,
      );
      await snapshot(page, 'drill-6-report', 'recovery-report');
      // The drill went into its own lab rack: the live one still holds exactly what it held.
      expect(await rackDigests()).toEqual(digestsBefore);
      await wizardButton('Start a new recovery').click();
      await expect.poll(currentStep).toBe('Location');
    },
    2 * JOB_LIMIT_MS + 60_000,
  );

  it(
    'recovers a redeployed lab rack through the wizard and every digest matches',
    async () => {
      expect(backupId).not.toBe('');
      digestsBefore = await rackDigests();
      await labRack(['disaster']);
      await labRack(['redeploy', '--recovery']);
      const emptied = await rackDigests();
      expect(emptied['keyvault']).not.toBe(digestsBefore['keyvault']);

      await openRecoveryWizard('Cloud recovery into a redeployed rack', 'Cloud recovery');
      await openAndVerify('recovery');
      await confirmTarget('recovery');
      await restoreAndReport('recovery', 'Start recovery');
      // Independent proof from the rack itself: its data after recovery equals its data before.
      expect(await rackDigests()).toEqual(digestsBefore);
    },
    2 * JOB_LIMIT_MS + 60_000,
  );

  it('keeps every other screen accessible', async () => {
    for (const [screen, title] of [
      ['Backups', 'Backups'],
      ['Settings', 'Settings'],
      ['Activity', 'Activity'],
      ['Dashboard', 'Dashboard'],
    ] as const) {
      await goTo(screen, title);
      await expect.poll(() => page.locator('main [aria-busy="true"]').count()).toBe(0);
      await record(`screen-${screen.toLowerCase()}`);
    }
  }, 60_000);

  it('is usable from the keyboard: skip link, screen navigation, wizard focus', async () => {
    // A fresh load, so Tab starts from the top of the page as it does for a new window.
    await page.reload();
    await expect.poll(heading).toBe('Dashboard');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    // The navigation's buttons answer Enter; a wizard moves focus to its step's heading.
    await nav().getByRole('button', { name: 'Enable backup', exact: true }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(heading).toBe('Enable backup');
    await expect
      .poll(() => page.evaluate('document.activeElement?.closest("[data-wizard-step]") !== null'))
      .toBe(true);
  });

  it('found no serious or critical accessibility violation on any screen or step', () => {
    expect(violations).toEqual([]);
  });

  it('made no request to any origin but the loopback console, and threw no page error', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
