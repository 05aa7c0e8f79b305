import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSecret, openLogger } from '../../electron/log/index.js';
import { ConfigErrors } from '../../electron/controller/errors.js';

function readLines(home: string): Record<string, unknown>[] {
  const dir = join(home, 'logs');
  return readdirSync(dir).flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>),
  );
}

describe('logger', () => {
  it('writes one JSON object a line in a dated file under <home>/logs', () => {
    const home = mkdtempSync(join(tmpdir(), 'lifeboat-log-'));
    const logger = openLogger({
      home,
      source: 'test',
      now: () => new Date('2026-11-20T10:00:00Z'),
    });
    logger.child({ jobId: 'j1' }).info('backup.started', { components: 10 });
    logger.error('backup.failed', { error: ConfigErrors.create('CONFIG_INVALID', 'bad') });
    expect(readdirSync(join(home, 'logs'))).toEqual(['lifeboat-2026-11-20.jsonl']);
    const lines = readLines(home);
    expect(lines[0]).toMatchObject({
      level: 'info',
      event: 'backup.started',
      source: 'test',
      jobId: 'j1',
      components: 10,
    });
    expect(lines[1]).toMatchObject({ event: 'backup.failed', error: { code: 'CONFIG_INVALID' } });
  });

  it('never writes a secret: named fields, Buffers and guarded values in any encoding', () => {
    const home = mkdtempSync(join(tmpdir(), 'lifeboat-log-'));
    const logger = openLogger({ home, source: 'test' });
    const key = randomBytes(32);
    const password = Buffer.from('Storage-Pa55word!');
    logger.guard(key);
    logger.guard(password);
    logger.info('a', {
      password: 'Storage-Pa55word!',
      nested: { operatorKey: key.toString('base64') },
    });
    logger.info('b', { blob: key });
    logger.info('c', { note: `oops ${key.toString('hex')}` });
    logger.info('d', { note: `oops ${password.toString('utf8')}` });
    logger.info('e', { note: `url ${key.toString('base64url')}` });
    const text = readFileSync(
      join(home, 'logs', readdirSync(join(home, 'logs'))[0] as string),
      'utf8',
    );
    expect(findSecret(text, key)).toBeNull();
    expect(findSecret(text, password)).toBeNull();
    const lines = readLines(home);
    expect(lines[0]).toMatchObject({
      password: '[redacted]',
      nested: { operatorKey: '[redacted]' },
    });
    expect(lines[1]).toMatchObject({ blob: '[32 bytes]' });
    expect(lines.slice(2).map((l) => [l.event, l.redactedEvent])).toEqual([
      ['log.redacted', 'c'],
      ['log.redacted', 'd'],
      ['log.redacted', 'e'],
    ]);
  });

  it('keeps 30 days of daily files', () => {
    const home = mkdtempSync(join(tmpdir(), 'lifeboat-log-'));
    for (const day of ['2026-10-01', '2026-10-27', '2026-11-19']) {
      openLogger({ home, source: 'test', now: () => new Date(`${day}T08:00:00Z`) }).info('x');
    }
    openLogger({ home, source: 'test', now: () => new Date('2026-11-20T08:00:00Z') });
    expect(readdirSync(join(home, 'logs')).sort()).toEqual([
      'lifeboat-2026-10-27.jsonl',
      'lifeboat-2026-11-19.jsonl',
    ]);
  });

  it('finds a secret in each encoding a leak would take', () => {
    const secret = randomBytes(32);
    for (const form of ['base64', 'hex', 'base64url'] as const) {
      expect(findSecret(`x${secret.toString(form)}y`, secret)).not.toBeNull();
    }
    expect(findSecret('nothing here', secret)).toBeNull();
  });
});
