/**
 * The Enable backup wizard's non-secret state: the location and its test, the user name, the
 * encryption choice (ids, thumbprints, never a key), the schedule. Passwords and an imported key
 * stay in their (uncontrolled) inputs and are read only when the wizard submits them.
 */
import { createStore } from 'zustand/vanilla';
import type { ErrorBody } from '../../../shared/errors.js';
import type { LifeboatClient } from '../api/client.js';
import type {
  CertificateInfo,
  EncryptionChoice,
  Location,
  LocationTestResult,
  RackProbe,
  Schedule,
  Settings,
} from '../api/types.js';
import { ENABLE_STEPS, type EncryptionMode } from '../lib/wizard.js';
import { attempt, fetchInto, idle, type Resource } from './resource.js';

/** Azure Stack Hub's defaults: every 12 hours, kept 7 days. */
export const DEFAULT_SCHEDULE: Schedule = { frequencyHours: 12, retentionDays: 7, enabled: true };

export interface StorageCredentialsInput {
  username: string;
  password: string;
}

export interface EnableState {
  step: number;
  location: Location;
  test: Resource<LocationTestResult>;
  username: string;
  mode: EncryptionMode;
  confirmedKey: { pendingKeyId: string; keyFingerprint: string } | null;
  certificatePem: string;
  /** The inspected certificate (public data), once the operator checked it. */
  certificate: CertificateInfo | null;
  schedule: Schedule;
  /** Back up the rack main already knows (the lab rack, a configured one), or another. */
  rackMode: 'known' | 'other';
  rackUrl: string;
  rackProbe: Resource<RackProbe>;
  rackConfirmed: boolean;
  rackUsername: string;
  submitting: boolean;
  submitError: ErrorBody | null;
  enabled: Settings | null;
  setStep(step: number): void;
  setLocation(location: Location): void;
  testLocation(credentials: StorageCredentialsInput | null): Promise<void>;
  setUsername(username: string): void;
  setMode(mode: EncryptionMode): void;
  keyConfirmed(pendingKeyId: string, keyFingerprint: string): void;
  setCertificatePem(pem: string): void;
  setCertificate(info: CertificateInfo | null): void;
  setSchedule(schedule: Schedule): void;
  setRackMode(mode: 'known' | 'other'): void;
  setRackUrl(url: string): void;
  probeRack(): Promise<void>;
  confirmRack(confirmed: boolean): void;
  setRackUsername(username: string): void;
  /** Sends everything, secrets included, in one call; the caller has already cleared its inputs. */
  enable(input: {
    credentials: StorageCredentialsInput | null;
    importedKey: string | null;
    rackPassword: string | null;
  }): Promise<boolean>;
  reset(defaults: Location | null): void;
}

function initial(defaults: Location | null) {
  return {
    step: 0,
    location: defaults ?? { kind: 'folder' as const, path: '' },
    test: idle<LocationTestResult>(),
    username: '',
    mode: 'generated' as EncryptionMode,
    confirmedKey: null,
    certificatePem: '',
    certificate: null,
    schedule: DEFAULT_SCHEDULE,
    rackMode: 'known' as const,
    rackUrl: '',
    rackProbe: idle<RackProbe>(),
    rackConfirmed: false,
    rackUsername: '',
    submitting: false,
    submitError: null,
    enabled: null,
  };
}

/** What `backup.enable` receives as `encryption`, or null while the choice is incomplete. */
export function encryptionChoice(
  state: Pick<EnableState, 'mode' | 'confirmedKey' | 'certificatePem'>,
  importedKey: string | null,
): EncryptionChoice | null {
  switch (state.mode) {
    case 'generated':
      return state.confirmedKey === null
        ? null
        : { mode: 'generated', pendingKeyId: state.confirmedKey.pendingKeyId };
    case 'imported':
      return importedKey === null || importedKey === ''
        ? null
        : { mode: 'imported', key: importedKey };
    case 'certificate':
      return state.certificatePem === ''
        ? null
        : { mode: 'certificate', certificatePem: state.certificatePem };
  }
}

/** The rack to back up for `backup.enable`: null keeps the one main knows. */
export function rackTarget(
  state: Pick<EnableState, 'rackMode' | 'rackUrl' | 'rackProbe' | 'rackConfirmed' | 'rackUsername'>,
  password: string | null,
) {
  const probe = state.rackProbe.data;
  if (state.rackMode === 'known') return null;
  if (probe === null || !state.rackConfirmed || password === null || password === '') return null;
  return {
    url: state.rackUrl,
    fingerprint: probe.fingerprint,
    username: state.rackUsername,
    password,
  };
}

export function createEnableStore(client: LifeboatClient) {
  return createStore<EnableState>()((set, get) => ({
    ...initial(null),
    setStep(step) {
      set({ step: Math.max(0, Math.min(ENABLE_STEPS.length - 1, step)) });
    },
    setLocation(location) {
      // A different location invalidates the previous test.
      set({ location, test: idle() });
    },
    async testLocation(credentials) {
      await fetchInto(
        () => get().test,
        (test) => set({ test }),
        () => client.call('location.test', { location: get().location, credentials }),
      );
    },
    setUsername(username) {
      set({ username });
    },
    setMode(mode) {
      set({ mode });
    },
    keyConfirmed(pendingKeyId, keyFingerprint) {
      set({ confirmedKey: { pendingKeyId, keyFingerprint } });
    },
    setCertificatePem(certificatePem) {
      set({ certificatePem, certificate: null });
    },
    setCertificate(certificate) {
      set({ certificate });
    },
    setSchedule(schedule) {
      set({ schedule });
    },
    setRackMode(rackMode) {
      set({ rackMode });
    },
    setRackUrl(rackUrl) {
      set({ rackUrl, rackProbe: idle(), rackConfirmed: false });
    },
    async probeRack() {
      set({ rackConfirmed: false });
      await fetchInto(
        () => get().rackProbe,
        (rackProbe) => set({ rackProbe }),
        () => client.call('rack.probe', { url: get().rackUrl }),
      );
    },
    confirmRack(rackConfirmed) {
      set({ rackConfirmed });
    },
    setRackUsername(rackUsername) {
      set({ rackUsername });
    },
    async enable({ credentials, importedKey, rackPassword }) {
      const state = get();
      const encryption = encryptionChoice(state, importedKey);
      if (encryption === null) return false;
      const rack = rackTarget(state, rackPassword);
      if (state.rackMode === 'other' && rack === null) return false;
      set({ submitting: true, submitError: null });
      const outcome = await attempt(() =>
        client.call('backup.enable', {
          location: state.location,
          credentials,
          encryption,
          schedule: state.schedule,
          rack,
        }),
      );
      set({
        submitting: false,
        submitError: outcome.ok ? null : outcome.error,
        enabled: outcome.ok ? outcome.value : null,
      });
      return outcome.ok;
    },
    reset(defaults) {
      set(initial(defaults));
    },
  }));
}
