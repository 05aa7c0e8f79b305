import { describe, expect, it } from 'vitest';
import {
  credentialsProblem,
  encryptionProblem,
  keySheetLines,
  locationProblem,
  locationTestProblem,
  rackProblem,
  scheduleProblem,
} from '../../renderer/src/lib/wizard.js';
import { encryptionChoice, rackTarget } from '../../renderer/src/stores/enable.js';

const goodTest = {
  reachable: true,
  writable: true,
  freeBytes: 10,
  totalBytes: 20,
  existingRepository: null,
  insideAnotherRepository: false,
  problems: [],
};

describe('location step', () => {
  it('accepts absolute folders and UNC paths, and says what is wrong otherwise', () => {
    expect(locationProblem({ kind: 'folder', path: '/srv/lifeboat' })).toBeNull();
    expect(locationProblem({ kind: 'folder', path: 'D:\\Lifeboat' })).toBeNull();
    expect(locationProblem({ kind: 'unc', path: '\\\\files\\backups\\rack01' })).toBeNull();
    expect(locationProblem({ kind: 'folder', path: '' })).toMatch(/Enter the folder/);
    expect(locationProblem({ kind: 'folder', path: 'relative/dir' })).toMatch(/absolute/);
    expect(locationProblem({ kind: 'unc', path: '/mnt/share' })).toMatch(/UNC/);
  });
  it('lets the operator on only after a test that found the location usable', () => {
    expect(locationTestProblem(null)).toMatch(/Test the location/);
    expect(locationTestProblem(goodTest)).toBeNull();
    expect(locationTestProblem({ ...goodTest, reachable: false })).toMatch(/not reachable/);
    expect(locationTestProblem({ ...goodTest, writable: false })).toMatch(/cannot write/);
    expect(locationTestProblem({ ...goodTest, insideAnotherRepository: true })).toMatch(
      /another repository/,
    );
  });
});

describe('credentials step', () => {
  it('needs nothing for a local folder, but both fields for a share', () => {
    expect(credentialsProblem('folder', '', false)).toBeNull();
    expect(credentialsProblem('share', '', false)).toMatch(/user name/);
    expect(credentialsProblem('unc', 'DOMAIN\\backup', false)).toMatch(/password/);
    expect(credentialsProblem('unc', 'DOMAIN\\backup', true)).toBeNull();
    // A folder with a user name typed still needs the password that goes with it.
    expect(credentialsProblem('folder', 'someone', false)).toMatch(/password/);
  });
});

describe('encryption step', () => {
  const draft = {
    mode: 'generated' as const,
    confirmedKeyId: null,
    certificateThumbprint: null,
    hasImportedKey: false,
  };
  it('requires a confirmed generated key, an imported key, or a checked certificate', () => {
    expect(encryptionProblem(draft)).toMatch(/confirm/);
    expect(encryptionProblem({ ...draft, confirmedKeyId: 'pending-1' })).toBeNull();
    expect(encryptionProblem({ ...draft, mode: 'imported' })).toMatch(/Paste/);
    expect(encryptionProblem({ ...draft, mode: 'imported', hasImportedKey: true })).toBeNull();
    expect(encryptionProblem({ ...draft, mode: 'certificate' })).toMatch(/certificate/);
    expect(
      encryptionProblem({ ...draft, mode: 'certificate', certificateThumbprint: 'a'.repeat(40) }),
    ).toBeNull();
  });
  it('builds the contract choice only when it is complete', () => {
    const base = { mode: 'generated' as const, confirmedKey: null, certificatePem: '' };
    expect(encryptionChoice(base, null)).toBeNull();
    expect(
      encryptionChoice(
        { ...base, confirmedKey: { pendingKeyId: 'p1', keyFingerprint: 'f' } },
        null,
      ),
    ).toEqual({ mode: 'generated', pendingKeyId: 'p1' });
    expect(encryptionChoice({ ...base, mode: 'imported' }, '')).toBeNull();
    expect(encryptionChoice({ ...base, mode: 'imported' }, 'AB-CD')).toEqual({
      mode: 'imported',
      key: 'AB-CD',
    });
    expect(encryptionChoice({ ...base, mode: 'certificate', certificatePem: 'PEM' }, null)).toEqual(
      { mode: 'certificate', certificatePem: 'PEM' },
    );
  });
});

describe('schedule step', () => {
  it("keeps Azure Stack Hub's ranges: every 4 to 12 hours, 2 to 14 days", () => {
    const ok = { frequencyHours: 12, retentionDays: 7, enabled: true };
    expect(scheduleProblem(ok)).toBeNull();
    expect(scheduleProblem({ ...ok, frequencyHours: 4, retentionDays: 2 })).toBeNull();
    expect(scheduleProblem({ ...ok, retentionDays: 14 })).toBeNull();
    expect(scheduleProblem({ ...ok, frequencyHours: 3 })).toMatch(/4 to 12 hours/);
    expect(scheduleProblem({ ...ok, frequencyHours: 13 })).toMatch(/4 to 12 hours/);
    expect(scheduleProblem({ ...ok, frequencyHours: 6.5 })).toMatch(/4 to 12 hours/);
    expect(scheduleProblem({ ...ok, retentionDays: 1 })).toMatch(/2 to 14 days/);
    expect(scheduleProblem({ ...ok, retentionDays: 15 })).toMatch(/2 to 14 days/);
    expect(scheduleProblem({ ...ok, retentionDays: Number.NaN })).toMatch(/2 to 14 days/);
  });
});

describe('key sheet', () => {
  it('prints four groups a line', () => {
    const key = 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF';
    expect(keySheetLines(key)).toEqual(['AAAA-BBBB-CCCC-DDDD', 'EEEE-FFFF']);
  });
});

describe('rack to back up', () => {
  const rack = {
    mode: 'other' as const,
    knownAvailable: true,
    probed: true,
    confirmed: true,
    username: 'cloudadmin',
    hasPassword: true,
  };
  it('needs a known rack, or another one probed, confirmed and with credentials', () => {
    expect(rackProblem({ ...rack, mode: 'known' })).toBeNull();
    expect(rackProblem({ ...rack, mode: 'known', knownAvailable: false })).toMatch(/No rack/);
    expect(rackProblem(rack)).toBeNull();
    expect(rackProblem({ ...rack, probed: false })).toMatch(/Connect/);
    expect(rackProblem({ ...rack, confirmed: false })).toMatch(/fingerprint/);
    expect(rackProblem({ ...rack, hasPassword: false })).toMatch(/credentials/);
  });
  it('sends the probed fingerprint, never one typed, and nothing for the known rack', () => {
    const probe = {
      url: 'https://127.0.0.1:8443',
      fingerprint: 'cd'.repeat(32),
      certificateSubject: 'CN=rack',
      certificateValidTo: null,
      version: '1.4.0',
      recoveryMode: false,
      lab: true,
    };
    const state = {
      rackMode: 'other' as const,
      rackUrl: 'https://127.0.0.1:8443',
      rackProbe: { data: probe, error: null, loading: false },
      rackConfirmed: true,
      rackUsername: 'cloudadmin',
    };
    expect(rackTarget(state, 'pw')).toEqual({
      url: 'https://127.0.0.1:8443',
      fingerprint: 'cd'.repeat(32),
      username: 'cloudadmin',
      password: 'pw',
    });
    expect(rackTarget({ ...state, rackConfirmed: false }, 'pw')).toBeNull();
    expect(rackTarget({ ...state, rackMode: 'known' }, 'pw')).toBeNull();
  });
});
