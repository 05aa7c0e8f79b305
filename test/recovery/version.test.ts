import { describe, expect, it } from 'vitest';
import { RecoveryErrors } from '../../electron/recovery/errors.js';
import { assertCompatible, compatibility, parseVersion } from '../../electron/recovery/version.js';

const pair = (backup: string, rack: string) =>
  compatibility(parseVersion(backup), parseVersion(rack));

describe('version compatibility', () => {
  it('accepts the same version and one minor version newer', () => {
    expect(pair('1.4.0', '1.4.0')).toEqual({ ok: true, relation: 'same' });
    expect(pair('1.4.0', '1.4.3')).toEqual({ ok: true, relation: 'same' });
    expect(pair('1.4.2', '1.5.0')).toEqual({ ok: true, relation: 'one-minor-newer' });
    expect(pair('1.2108.2.65', '1.2109.0.1')).toEqual({ ok: true, relation: 'one-minor-newer' });
  });

  it('refuses older, two minor versions newer, and another major version', () => {
    expect(pair('1.4.0', '1.6.0')).toEqual({ ok: false, reason: 'too-new' });
    expect(pair('1.4.0', '1.3.9')).toEqual({ ok: false, reason: 'older' });
    expect(pair('1.4.3', '1.4.2')).toEqual({ ok: false, reason: 'older' });
    expect(pair('1.4.0', '2.0.0')).toEqual({ ok: false, reason: 'other-major' });
  });

  it('names both versions when refusing', () => {
    let caught: unknown;
    try {
      assertCompatible('1.4.0', '1.6.0');
    } catch (error) {
      caught = error;
    }
    expect(RecoveryErrors.is(caught, 'RECOVERY_VERSION_INCOMPATIBLE')).toBe(true);
    expect((caught as Error).message).toContain('1.4.0');
    expect((caught as Error).message).toContain('1.6.0');
    expect((caught as Error).message).toContain('more than one minor version newer');
  });

  it('refuses text that is not a version', () => {
    for (const text of ['', 'latest', '1', '1.x.0', '1.4.0; rm -rf']) {
      expect(() => parseVersion(text)).toThrow(/not a version/);
    }
    expect(parseVersion('1.4.0-rc.1').minor).toBe(4);
  });
});
