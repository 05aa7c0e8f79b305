/**
 * What the controller's services share: the profile's catalog, vault and logger, the event
 * fan-out and the audit helper. Internal to electron/controller/.
 */
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { openCatalog, type BackupConfig, type Catalog } from '../catalog/index.js';
import { openLogger, type Logger } from '../log/index.js';
import { openVault, type Vault } from '../vault/index.js';
import type { Storage } from '../storage/index.js';
import type { HostEvent } from './contract-types.js';
import { BackupErrors, ConfigErrors } from './errors.js';
import { currentJob } from '../job-lock/index.js';

export interface ControllerOptions {
  /** The profile folder: catalog, vault, logs, jobs. */
  readonly home: string;
  /** Who acts, for the audit log (default `user@host`). */
  readonly actor?: string;
  /** Where the log lines say they come from (`app`, `cli`, `scheduler`). */
  readonly source?: string;
  /** An opened vault (the desktop app passes one with its safeStorage protector). */
  readonly vault?: Vault;
  /** Opens a passphrase-protected vault when no OS keychain is reachable. */
  readonly vaultPassphrase?: Buffer;
  readonly catalog?: Catalog;
  readonly logger?: Logger;
  /**
   * Wraps the location's storage: the seam for fault injection in tests (a full disk, a share
   * that disappears). Production passes nothing.
   */
  readonly wrapStorage?: (storage: Storage) => Storage;
  readonly now?: () => number;
}

export type Listener = (event: HostEvent) => void;

/** Shared state the service modules work on; not part of the public API. */
export interface ControllerContext {
  readonly home: string;
  readonly actor: string;
  readonly catalog: Catalog;
  readonly vault: Vault;
  readonly logger: Logger;
  readonly now: () => number;
  readonly wrapStorage: NonNullable<ControllerOptions['wrapStorage']>;
  emit(event: HostEvent): void;
  /** The configuration, or CONFIG_NOT_ENABLED. */
  config(): BackupConfig;
  audit(action: string, details: Record<string, unknown>): void;
}

export async function openControllerContext(
  options: ControllerOptions,
  listeners: Set<Listener>,
): Promise<{ context: ControllerContext; close: () => void }> {
  const ownsVault = options.vault === undefined;
  const vault =
    options.vault ??
    (await openVault({
      home: options.home,
      ...(options.vaultPassphrase === undefined ? {} : { passphrase: options.vaultPassphrase }),
    }));
  const ownsCatalog = options.catalog === undefined;
  const catalog = options.catalog ?? openCatalog({ home: options.home });
  const logger =
    options.logger ?? openLogger({ home: options.home, source: options.source ?? 'app' });
  const actor = options.actor ?? defaultActor();
  const context: ControllerContext = {
    home: options.home,
    actor,
    catalog,
    vault,
    logger,
    now: options.now ?? Date.now,
    wrapStorage: options.wrapStorage ?? ((storage) => storage),
    emit: (event) => {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          logger.warn('controller.listener-failed', { error });
        }
      }
    },
    config: () => requireConfig(catalog),
    audit: (action, details) => {
      catalog.audit.append({ actor, action, details });
    },
  };
  settleInterruptedJobs(context);
  const close = () => {
    if (ownsCatalog) catalog.close();
    if (ownsVault) vault.close();
  };
  return { context, close };
}

/**
 * Jobs and backups left `running` by a process that died (no live job lock) are closed as
 * Failed, so nothing stays Running forever and no half-written backup looks in progress.
 */
function settleInterruptedJobs(ctx: ControllerContext): void {
  if (currentJob(ctx.home) !== null) return;
  const stale = ctx.catalog.jobs.list({ states: ['queued', 'running'] });
  const backups = ctx.catalog.backups.list({ statuses: ['Queued', 'Running'] });
  if (stale.length === 0 && backups.length === 0) return;
  const error = BackupErrors.create('BACKUP_INTERRUPTED', 'The job was interrupted.');
  ctx.catalog.transaction(() => {
    for (const job of stale) {
      ctx.catalog.jobs.finish(job.id, {
        state: 'failed',
        errorCode: error.code,
        result: { error: error.toBody() },
      });
    }
    for (const backup of backups) ctx.catalog.backups.setStatus(backup.id, 'Failed');
  });
  ctx.logger.warn('jobs.interrupted', {
    jobs: stale.map((j) => j.id),
    backups: backups.map((b) => b.id),
  });
}

function defaultActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // Some containers have no passwd entry for the uid; the host still identifies the seat.
  }
  return `${user}@${hostname()}`;
}

function requireConfig(catalog: Catalog): BackupConfig {
  const config = catalog.config.get();
  if (config === null) {
    throw ConfigErrors.create('CONFIG_NOT_ENABLED', 'Backup is not enabled on this workstation.');
  }
  return config;
}

/** A new job id (a GUID, as the catalog and Azure Stack's BackupId use). */
export function newId(): string {
  return randomUUID();
}
