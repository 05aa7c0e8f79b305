#!/usr/bin/env node
// The one test command (`npm test`): lint, typecheck, then the vitest suite inside a private
// D-Bus session with a real, unlocked gnome-keyring (the OS keychain the vault tests need).
// It ends with one plain line, "N passed, N failed", which CI reads.
//
//   npm test                      everything
//   npm test -- test/repository   only the tests whose path matches (lint and typecheck still run)
//   LIFEBOAT_TEST_STATIC=0 npm test -- …   skip lint and typecheck for a quick loop
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const vitestArgs = process.argv.slice(2);
let passed = 0;
let failed = 0;

function run(label, command, args, options = {}) {
  process.stdout.write(`\n== ${label}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  return result.status === 0;
}

function check(label, ok) {
  if (ok) passed++;
  else {
    failed++;
    process.stdout.write(`!! ${label} failed\n`);
  }
}

if (process.env.LIFEBOAT_TEST_STATIC !== '0') {
  check(
    'lint',
    run('lint (eslint)', bin('eslint'), ['.']) &
      run('format (prettier)', bin('prettier'), ['--check', '.']),
  );
  check(
    'typecheck',
    run('typecheck (main, services, lab rack)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']) &
      run('typecheck (renderer)', bin('tsc'), ['-p', 'renderer/tsconfig.json', '--noEmit']),
  );
}

const resultsDir = join(root, 'test-results');
mkdirSync(resultsDir, { recursive: true });
// One results file per run, so two runs at once (several engineers, one machine) never mix.
const resultsFile = join(resultsDir, `vitest-${process.pid}.json`);
rmSync(resultsFile, { force: true });
const vitest = [
  bin('vitest'),
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${resultsFile}`,
  ...vitestArgs,
];

const haveKeyring = hasCommand('dbus-run-session') && hasCommand('gnome-keyring-daemon');
if (haveKeyring) {
  // A throwaway keyring in a throwaway HOME-independent data dir: tests never touch the
  // developer's own keychain. The unlock password is random per run and never printed.
  const keyringHome = mkdtempSync(join(tmpdir(), 'lifeboat-keyring-'));
  process.on('exit', () => rmSync(keyringHome, { recursive: true, force: true }));
  const script =
    'printf %s "$LIFEBOAT_TEST_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; ' +
    'unset LIFEBOAT_TEST_KEYRING_PASSWORD; exec "$@"';
  run(
    'tests (vitest, inside dbus-run-session with gnome-keyring)',
    'dbus-run-session',
    ['--', 'sh', '-c', script, 'sh', ...vitest],
    {
      env: {
        ...process.env,
        XDG_DATA_HOME: keyringHome,
        LIFEBOAT_TEST_KEYRING: '1',
        LIFEBOAT_TEST_KEYRING_PASSWORD: randomBytes(18).toString('base64'),
      },
    },
  );
} else {
  process.stdout.write(
    '\n(no dbus-run-session/gnome-keyring: the keychain tests will fail; run .ci/run or install them)\n',
  );
  run('tests (vitest)', vitest[0], vitest.slice(1));
}

if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed += results.numPassedTests ?? 0;
  failed += results.numFailedTests ?? 0;
  // A suite that fails to load has no tests counted; count it so it cannot pass unseen.
  for (const suite of results.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed++;
  }
  rmSync(resultsFile, { force: true });
} else {
  failed++;
  process.stdout.write('!! vitest wrote no results\n');
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}
