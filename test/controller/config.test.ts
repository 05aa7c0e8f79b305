import { describe, expect, it } from 'vitest';
import {
  locationSchema,
  parseOrThrow,
  rackEndpointSchema,
  scheduleSchema,
  settingFromText,
} from '../../electron/controller/config.js';
import { ConfigErrors } from '../../electron/controller/errors.js';

describe('configuration validation', () => {
  it('defaults to 12 hours and 7 days and enforces the Azure Stack ranges', () => {
    expect(scheduleSchema.parse({})).toEqual({
      frequencyHours: 12,
      retentionDays: 7,
      enabled: true,
    });
    expect(settingFromText('frequency', '4')).toEqual({ frequencyHours: 4 });
    expect(settingFromText('retention', '14')).toEqual({ retentionDays: 14 });
    expect(settingFromText('scheduler', 'off')).toEqual({ schedulerEnabled: false });
    for (const [key, value] of [
      ['frequency', '3'],
      ['frequency', '13'],
      ['frequency', '4.5'],
      ['retention', '1'],
      ['retention', '15'],
      ['scheduler', 'maybe'],
      ['colour', 'blue'],
    ] as const) {
      let caught: unknown;
      try {
        settingFromText(key, value);
      } catch (error) {
        caught = error;
      }
      expect(ConfigErrors.is(caught, 'CONFIG_INVALID'), `${key}=${value}`).toBe(true);
    }
  });

  it('accepts folders, mounted shares and UNC paths, and refuses relative ones', () => {
    expect(locationSchema.safeParse({ kind: 'folder', path: '/srv/backup' }).success).toBe(true);
    expect(locationSchema.safeParse({ kind: 'folder', path: 'D:\\backup' }).success).toBe(true);
    expect(
      locationSchema.safeParse({ kind: 'unc', path: '\\\\filer\\backup\\rack1' }).success,
    ).toBe(true);
    expect(locationSchema.safeParse({ kind: 'unc', path: '/mnt/x' }).success).toBe(false);
    expect(locationSchema.safeParse({ kind: 'folder', path: 'backup' }).success).toBe(false);
    expect(() => parseOrThrow(locationSchema, { kind: 'share', path: 'x' }, 'location')).toThrow(
      /absolute/,
    );
  });

  it('normalises a rack fingerprint and requires https', () => {
    const fp = 'AB:'.repeat(31) + 'AB';
    expect(
      rackEndpointSchema.parse({ url: 'https://127.0.0.1:8443', fingerprint: fp, username: 'op' })
        .fingerprint,
    ).toBe('ab'.repeat(32));
    expect(
      rackEndpointSchema.safeParse({
        url: 'http://rack',
        fingerprint: 'ab'.repeat(32),
        username: 'op',
      }).success,
    ).toBe(false);
    expect(
      rackEndpointSchema.safeParse({ url: 'https://rack', fingerprint: 'abc', username: 'op' })
        .success,
    ).toBe(false);
  });
});
