/**
 * Builds the Services the router dispatches to, from the real parts: the vault (with the
 * Electron safeStorage protector when the shell passes one), the backup controller, and the
 * host's own jobs. When the vault needs a passphrase, the app still opens: calls that need the
 * controller answer with the vault's typed error until `vault.unlock` succeeds.
 */
import { join } from 'node:path';
import type { z } from 'zod';
import type { HostEvent, VaultStatus } from '../../shared/contract/index.js';
import { asLifeboatError, type LifeboatError } from '../../shared/errors.js';
import { openCatalog, type Catalog } from '../catalog/index.js';
import { BackupController } from '../controller/index.js';
import { inspectVault, openVault, type KeyProtector, type Vault } from '../vault/index.js';
import { backupHandlers, rackInput } from './backup-handlers.js';
import type { LabRackInfo, LabRackOptions } from './default-setup.js';
import { IpcErrors } from './errors.js';
import { HostJobs } from './host-jobs.js';
import { recoveryHandlers } from './recovery-handlers.js';
import { completeHandlers, type EventListener, type Handlers, type Services } from './services.js';

export interface ServicesOptions {
  /** The profile folder. */
  readonly home: string;
  readonly transport: 'electron' | 'console';
  readonly version: string;
  /** The default set-up's lab rack (`npm start`); null in an installed app. */
  readonly labRack: LabRackInfo | null;
  /** Electron safeStorage, from the shell; absent in the browser console. */
  readonly protector?: KeyProtector;
  /** How to run the lab-rack program for recovery drills; absent in an installed app. */
  readonly labRackTool?: Omit<LabRackOptions, 'home'>;
  /** Run scheduled backups while the app is open (default true). */
  readonly scheduler?: boolean;
}

type VaultStatusBody = z.input<typeof VaultStatus>;

const BACKENDS = {
  protector: 'safe-storage',
  keychain: 'keychain',
  passphrase: 'passphrase-file',
} as const;

function itemKind(id: string): VaultStatusBody['items'][number]['kind'] {
  if (id.startsWith('storage-credentials:')) return 'storage-credentials';
  if (id.startsWith('repo-master-key:')) return 'certificate-key';
  if (id.startsWith('rack-credentials:')) return 'rack-credentials';
  return 'backup-key';
}

function openStatus(vault: Vault): VaultStatusBody {
  const status = vault.status();
  const others = status.notUsed.map((n) => `${BACKENDS[n.backend]}: ${n.reason}`);
  return {
    backend: BACKENDS[status.backend],
    strength: status.strength === 'os-account' ? 'os-protected' : 'passphrase',
    reason: [status.description, ...others].join(' '),
    locked: false,
    items: vault.list().map((entry) => ({
      name: entry.label,
      kind: itemKind(entry.id),
      present: true,
      updatedAt: entry.updated,
    })),
  };
}

function lockedStatus(home: string, why: LifeboatError): VaultStatusBody {
  // A vault the OS cannot open (or none yet, with no OS keychain) waits for a passphrase.
  const slots = inspectVault({ home }).slots;
  const backend = slots.length === 0 || slots.includes('passphrase') ? 'passphrase' : slots[0];
  return {
    backend: BACKENDS[backend ?? 'passphrase'],
    strength: backend === 'passphrase' ? 'passphrase' : 'os-protected',
    reason: `${why.message} ${why.hint}`,
    locked: true,
    items: [],
  };
}

/**
 * The lab rack keeps its certificate across starts but may get another port when its
 * remembered one is taken; a configuration that names it follows it to the new address.
 */
async function followLabRack(controller: BackupController, lab: LabRackInfo | null) {
  const configured = controller.settings().rack;
  if (lab === null || configured === null) return;
  const sameRack = configured.fingerprint === lab.fingerprint.replaceAll(':', '').toLowerCase();
  if (!sameRack || configured.url === lab.url) return;
  const rack = await rackInput(null, lab);
  try {
    await controller.changeRack(rack);
  } finally {
    rack.password.fill(0);
  }
}

export async function openServices(options: ServicesOptions): Promise<Services> {
  const listeners = new Set<EventListener>();
  const emit = (event: HostEvent) => {
    for (const listener of listeners) listener(event);
  };
  const jobs = new HostJobs(emit);
  const state: { vault: Vault | null; controller: BackupController | null; why: LifeboatError } = {
    vault: null,
    controller: null,
    why: IpcErrors.create('IPC_NOT_AVAILABLE', 'The backup controller is not open.'),
  };

  async function open(passphrase?: Buffer): Promise<void> {
    const vault = await openVault({
      home: options.home,
      ...(options.protector === undefined ? {} : { protector: options.protector }),
      ...(passphrase === undefined ? {} : { passphrase }),
    });
    try {
      const labUrl = options.labRack?.url;
      const controller = await BackupController.open({
        home: options.home,
        vault,
        source: 'app',
        isLabRack: (url) => labUrl !== undefined && new URL(url).origin === new URL(labUrl).origin,
      });
      controller.on(emit);
      await followLabRack(controller, options.labRack);
      if (options.scheduler !== false) controller.startScheduler();
      state.vault = vault;
      state.controller = controller;
    } catch (error) {
      vault.close();
      throw error;
    }
  }

  try {
    await open();
  } catch (error) {
    // A vault that needs its passphrase (or is damaged) must not keep the window from opening:
    // the screens show this reason and the vault screen asks for the passphrase.
    state.why = asLifeboatError(error);
  }

  const controller = (): BackupController => {
    if (state.controller === null) throw state.why;
    return state.controller;
  };

  const openedVault = (): Vault => {
    if (state.vault === null) throw state.why;
    return state.vault;
  };

  // Recovery keeps its journals in the profile's catalog; it gets its own connection (WAL) so a
  // field engineer's laptop can recover even before backup was ever enabled there.
  let catalog: Catalog | null = null;
  const recovery = recoveryHandlers({
    home: options.home,
    jobs,
    labRackTool: options.labRackTool ?? null,
    catalog: () => (catalog ??= openCatalog({ home: options.home })),
  });
  const { closeAll: closeRecovery, ...recoveryMethods } = recovery;

  const handlers: Partial<Handlers> = {
    ...backupHandlers({ controller, jobs, labRack: options.labRack }),
    ...recoveryMethods,
    'app.info': async () => ({
      version: options.version,
      transport: options.transport,
      platform: process.platform,
      home: options.home,
      lab: state.controller?.settings().rack?.lab ?? options.labRack !== null,
      defaults: {
        location:
          options.labRack === null ? null : { kind: 'folder', path: join(options.home, 'storage') },
        rackUrl: options.labRack?.url ?? null,
      },
    }),
    'vault.status': async () =>
      state.vault === null ? lockedStatus(options.home, state.why) : openStatus(state.vault),
    'vault.unlock': async ({ passphrase }) => {
      const secret = Buffer.from(passphrase);
      try {
        if (state.vault === null) await open(secret);
      } finally {
        secret.fill(0);
        passphrase.fill(0);
      }
      emit({ type: 'changed', topics: ['vault', 'health', 'settings', 'backups', 'jobs'] });
      return openStatus(openedVault());
    },
  };

  return {
    handlers: completeHandlers(handlers),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      jobs.stopAll();
      await closeRecovery();
      catalog?.close();
      await state.controller?.close();
      state.vault?.close();
      listeners.clear();
    },
  };
}
