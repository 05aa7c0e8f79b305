/**
 * The Cloud recovery wizard's state. Recovery is a session held by the main process: the
 * location's credentials, the decryption key and the rack's credentials each cross the boundary
 * once (discover, open, preflight) and later steps name only the session. So this store holds
 * ids, the discovered backups, the probe, the pre-flight, the running recovery and its report,
 * and never a secret.
 */
import { createStore } from 'zustand/vanilla';
import type { ErrorBody } from '../../../shared/errors.js';
import type { LifeboatClient } from '../api/client.js';
import type {
  DecryptionKey,
  Discovery,
  Location,
  OpenedBackup,
  Preflight,
  RackProbe,
  RecoveryEntry,
  RecoveryReport,
} from '../api/types.js';
import { RECOVERY_STEPS } from '../lib/wizard.js';
import { attempt, fetchInto, idle, type Resource } from './resource.js';
import type { StorageCredentialsInput } from './enable.js';

export type RecoveryMode = 'recovery' | 'drill';

export interface RackTargetInput {
  url: string;
  fingerprint: string;
  username: string;
  password: string;
}

export interface RecoveryState {
  mode: RecoveryMode;
  step: number;
  location: Location;
  username: string;
  discovery: Resource<Discovery>;
  backupId: string | null;
  opened: Resource<OpenedBackup>;
  verifyJobId: string | null;
  rackUrl: string;
  probe: Resource<RackProbe>;
  fingerprintConfirmed: boolean;
  rackUsername: string;
  preflight: Resource<Preflight>;
  run: { jobId: string; recoveryId: string } | null;
  entry: RecoveryEntry | null;
  report: Resource<RecoveryReport>;
  actionError: ErrorBody | null;
  setMode(mode: RecoveryMode): void;
  setStep(step: number): void;
  setLocation(location: Location): void;
  setUsername(username: string): void;
  discover(credentials: StorageCredentialsInput | null): Promise<void>;
  chooseBackup(backupId: string): void;
  open(decryption: DecryptionKey): Promise<void>;
  verify(): Promise<void>;
  setRackUrl(url: string): void;
  probeRack(): Promise<void>;
  confirmFingerprint(confirmed: boolean): void;
  setRackUsername(username: string): void;
  runPreflight(password: string): Promise<void>;
  start(): Promise<void>;
  pause(): Promise<void>;
  /** Resumes this wizard's recovery, or (after a restart) an unfinished one by its id. */
  resume(recoveryId?: string): Promise<void>;
  /** Unfinished recoveries of the chosen backup, which the restore step offers to resume. */
  unfinished: RecoveryEntry[];
  loadUnfinished(): Promise<void>;
  loadReport(): Promise<void>;
  /** Forgets the session (and the secrets main holds for it) and starts over. */
  close(): Promise<void>;
  init(defaults: { location: Location | null; rackUrl: string | null }): void;
}

function initial(defaults: { location: Location | null; rackUrl: string | null }) {
  return {
    mode: 'recovery' as RecoveryMode,
    step: 0,
    location: defaults.location ?? { kind: 'folder' as const, path: '' },
    username: '',
    discovery: idle<Discovery>(),
    backupId: null,
    opened: idle<OpenedBackup>(),
    verifyJobId: null,
    rackUrl: defaults.rackUrl ?? '',
    probe: idle<RackProbe>(),
    fingerprintConfirmed: false,
    rackUsername: '',
    preflight: idle<Preflight>(),
    run: null,
    entry: null,
    report: idle<RecoveryReport>(),
    actionError: null,
    unfinished: [] as RecoveryEntry[],
  };
}

export function createRecoveryStore(client: LifeboatClient) {
  return createStore<RecoveryState>()((set, get) => {
    const sessionId = () => get().discovery.data?.sessionId ?? null;
    /** Runs an action and records its typed error (or clears the previous one). */
    async function act<T>(action: () => Promise<T>): Promise<T | null> {
      const outcome = await attempt(action);
      set({ actionError: outcome.ok ? null : outcome.error });
      return outcome.ok ? outcome.value : null;
    }
    return {
      ...initial({ location: null, rackUrl: null }),
      setMode(mode) {
        set({ mode });
      },
      setStep(step) {
        set({ step: Math.max(0, Math.min(RECOVERY_STEPS.length - 1, step)) });
      },
      setLocation(location) {
        set({ location });
      },
      setUsername(username) {
        set({ username });
      },
      async discover(credentials) {
        const previous = sessionId();
        if (previous !== null)
          await act(() => client.call('recovery.close', { sessionId: previous }));
        set({ backupId: null, opened: idle(), verifyJobId: null, preflight: idle() });
        await fetchInto(
          () => get().discovery,
          (discovery) => set({ discovery }),
          () => client.call('recovery.discover', { location: get().location, credentials }),
        );
      },
      chooseBackup(backupId) {
        if (backupId === get().backupId) return;
        // Another backup needs its own key check and verification.
        set({ backupId, opened: idle(), verifyJobId: null });
      },
      async open(decryption) {
        const id = sessionId();
        const backupId = get().backupId;
        if (id === null || backupId === null) return;
        await fetchInto(
          () => get().opened,
          (opened) => set({ opened }),
          () => client.call('recovery.open', { sessionId: id, backupId, decryption }),
        );
      },
      async verify() {
        const id = sessionId();
        if (id === null) return;
        const ref = await act(() => client.call('recovery.verify', { sessionId: id }));
        if (ref !== null) set({ verifyJobId: ref.jobId });
      },
      setRackUrl(rackUrl) {
        set({ rackUrl, probe: idle(), fingerprintConfirmed: false, preflight: idle() });
      },
      async probeRack() {
        set({ fingerprintConfirmed: false, preflight: idle() });
        await fetchInto(
          () => get().probe,
          (probe) => set({ probe }),
          () => client.call('rack.probe', { url: get().rackUrl }),
        );
      },
      confirmFingerprint(fingerprintConfirmed) {
        set({ fingerprintConfirmed, preflight: idle() });
      },
      setRackUsername(rackUsername) {
        set({ rackUsername });
      },
      async runPreflight(password) {
        const id = sessionId();
        const probe = get().probe.data;
        if (id === null || probe === null || !get().fingerprintConfirmed) return;
        const target = {
          url: get().rackUrl,
          fingerprint: probe.fingerprint,
          username: get().rackUsername,
          password,
        };
        await fetchInto(
          () => get().preflight,
          (preflight) => set({ preflight }),
          () => client.call('recovery.preflight', { sessionId: id, target }),
        );
      },
      async start() {
        const id = sessionId();
        if (id === null) return;
        const started = await act(() =>
          get().mode === 'drill'
            ? client.call('recovery.drill', { sessionId: id })
            : client.call('recovery.run', { sessionId: id, components: null }),
        );
        if (started !== null) {
          set({ run: { jobId: started.jobId, recoveryId: started.recoveryId }, entry: null });
        }
      },
      async pause() {
        const run = get().run;
        if (run === null) return;
        const entry = await act(() =>
          client.call('recovery.pause', { recoveryId: run.recoveryId }),
        );
        if (entry !== null) set({ entry });
      },
      async resume(recoveryId) {
        const target = recoveryId ?? get().run?.recoveryId;
        const id = sessionId();
        if (target === undefined || id === null) return;
        const started = await act(() =>
          client.call('recovery.resume', { recoveryId: target, sessionId: id }),
        );
        if (started !== null) {
          set({ run: { jobId: started.jobId, recoveryId: started.recoveryId }, entry: null });
        }
      },
      async loadUnfinished() {
        // Best effort: without the list the operator can still start a new recovery.
        const listed = await attempt(() => client.call('recovery.list', {}));
        const backupId = get().backupId;
        const open = new Set(['paused', 'interrupted', 'failed']);
        set({
          unfinished: (listed.ok ? listed.value.recoveries : []).filter(
            (r) => r.backupId === backupId && open.has(r.state),
          ),
        });
      },
      async loadReport() {
        const run = get().run;
        if (run === null) return;
        await fetchInto(
          () => get().report,
          (report) => set({ report }),
          () => client.call('recovery.report', { recoveryId: run.recoveryId }),
        );
      },
      async close() {
        const id = sessionId();
        if (id !== null) await act(() => client.call('recovery.close', { sessionId: id }));
        get().init({ location: get().location, rackUrl: get().rackUrl });
      },
      init(defaults) {
        set(initial(defaults));
      },
    };
  });
}
