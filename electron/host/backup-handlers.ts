/**
 * The contract's backup, settings and activity methods, served by the backup controller.
 * Translation only: shapes in, shapes out, secrets wiped once the controller has used them.
 * Operations the controller offers only as a promise run as host jobs so the call returns a
 * JobRef at once (see host-jobs.ts).
 */
import { readFile } from 'node:fs/promises';
import type { ServiceRequestOf } from '../../shared/contract/index.js';
import type { BackupController, EncryptionInput, RackInput } from '../controller/index.js';
import type { LabRackInfo } from './default-setup.js';
import { IpcErrors } from './errors.js';
import type { HostJobs } from './host-jobs.js';
import { probeCertificate } from './rack-probe.js';
import type { Handlers } from './services.js';

type BackupMethods =
  | 'location.test'
  | 'rack.probe'
  | 'key.generate'
  | 'key.confirmGenerated'
  | 'key.discardGenerated'
  | 'certificate.inspect'
  | 'backup.enable'
  | 'backups.list'
  | 'backups.get'
  | 'backups.start'
  | 'backups.verify'
  | 'backups.prunePreview'
  | 'backups.prune'
  | 'catalog.rebuild'
  | 'settings.get'
  | 'settings.previewSchedule'
  | 'settings.changeSchedule'
  | 'settings.changeLocation'
  | 'settings.changeCredentials'
  | 'settings.changeKey'
  | 'jobs.list'
  | 'jobs.get'
  | 'jobs.cancel'
  | 'audit.list'
  | 'audit.verify'
  | 'health.get';

export interface BackupHandlerDeps {
  /** The opened controller, or the typed reason it cannot open yet (a locked vault). */
  readonly controller: () => BackupController;
  readonly jobs: HostJobs;
  readonly labRack: LabRackInfo | null;
}

type Encryption = ServiceRequestOf<'backup.enable'>['encryption'];

/** Zeroes secret bytes once the call that needed them is over. */
function wipe(...secrets: (Uint8Array | null | undefined)[]): void {
  for (const secret of secrets) secret?.fill(0);
}

function toEncryption(choice: Encryption): EncryptionInput {
  if (choice.mode === 'certificate') {
    return { mode: 'certificate', certificate: new TextEncoder().encode(choice.certificatePem) };
  }
  return choice;
}

function secretOf(choice: Encryption): Uint8Array | null {
  return choice.mode === 'imported' ? choice.key : null;
}

/** The rack the operator named, or the default set-up's lab rack with its password file. */
export async function rackInput(
  rack: ServiceRequestOf<'backup.enable'>['rack'],
  labRack: LabRackInfo | null,
): Promise<RackInput> {
  if (rack !== null) return rack;
  if (labRack === null) {
    throw IpcErrors.create('IPC_NO_RACK', 'No rack was given and there is no default lab rack.');
  }
  const password = new Uint8Array(await readFile(labRack.passwordFile));
  let end = password.length;
  while (end > 0 && (password[end - 1] === 0x0a || password[end - 1] === 0x0d)) end--;
  return {
    url: labRack.url,
    fingerprint: labRack.fingerprint,
    username: labRack.username,
    password: password.subarray(0, end),
  };
}

function page<T>(items: readonly T[], offset: number, limit: number) {
  return { total: items.length, items: items.slice(offset, offset + limit) };
}

/** Audit details may nest; the contract carries flat values, so nested ones become JSON text. */
function flatDetails(details: unknown): Record<string, string | number | boolean | null> {
  if (details === null || typeof details !== 'object') return {};
  const flat: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(details)) {
    flat[key] =
      value === null || ['string', 'number', 'boolean'].includes(typeof value)
        ? (value as string | number | boolean | null)
        : JSON.stringify(value);
  }
  return flat;
}

function auditSubject(details: Record<string, unknown>): string | null {
  for (const key of ['backupId', 'subject', 'location', 'runId', 'jobId']) {
    const value = details[key];
    if (typeof value === 'string') return value;
  }
  return null;
}

export function backupHandlers(deps: BackupHandlerDeps): Pick<Handlers, BackupMethods> {
  const { jobs } = deps;
  const c = deps.controller;
  return {
    'health.get': async () => c().health(),
    'location.test': async ({ location, credentials }) => {
      try {
        return await c().testLocation(location, credentials);
      } finally {
        wipe(credentials?.password);
      }
    },
    'rack.probe': async ({ url }, ctx) => {
      const probe = await probeCertificate(url, { signal: ctx.signal });
      const lab = deps.labRack !== null && new URL(deps.labRack.url).origin === probe.url;
      return { ...probe, version: null, recoveryMode: null, lab: lab ? true : null };
    },
    'key.generate': async () => c().generateKey(),
    'key.confirmGenerated': async ({ pendingKeyId, confirmation }) =>
      c().confirmGeneratedKey(pendingKeyId, confirmation),
    'key.discardGenerated': async ({ pendingKeyId }) => {
      c().discardGeneratedKey(pendingKeyId);
      return {};
    },
    'certificate.inspect': async ({ certificatePem }) => {
      const { sha256: _sha256, ...info } = c().inspectCertificate(
        new TextEncoder().encode(certificatePem),
      );
      return info;
    },
    'backup.enable': async (request) => {
      const rack = await rackInput(request.rack, deps.labRack);
      try {
        return await c().enable({
          location: request.location,
          credentials: request.credentials,
          encryption: toEncryption(request.encryption),
          schedule: request.schedule,
          rack,
        });
      } finally {
        wipe(rack.password, request.credentials?.password, secretOf(request.encryption));
      }
    },
    'backups.list': async ({ page: { offset, limit }, status }) =>
      page(c().listBackups(status === undefined ? {} : { statuses: status }), offset, limit),
    'backups.get': async ({ backupId }) => c().getBackup(backupId),
    'backups.start': async () => ({ jobId: c().startBackup().jobId, kind: 'backup' }),
    'backups.verify': async ({ backupId, readData }) => {
      const controller = c();
      return jobs.start('verify', backupId, async ({ signal }) => {
        const verify = await controller.verifyBackup(backupId, { readData, signal });
        return { result: { kind: 'verify', verify }, status: verify.ok ? 'succeeded' : 'failed' };
      });
    },
    'backups.prunePreview': async ({ retentionDays }) => c().previewPrune(retentionDays),
    'backups.prune': async ({ confirmBackupIds }) => {
      const controller = c();
      return jobs.start('prune', null, async () => {
        const { deleted } = await controller.prune({ confirmBackupIds });
        return { result: { kind: 'prune', deleted } };
      });
    },
    'catalog.rebuild': async () => {
      const controller = c();
      return jobs.start('catalog-rebuild', null, async () => {
        const { backups } = await controller.rebuildCatalog();
        return { result: { kind: 'catalog-rebuild', backups } };
      });
    },
    'settings.get': async () => c().settings(),
    'settings.previewSchedule': async ({ schedule }) => c().previewSchedule(schedule),
    'settings.changeSchedule': async ({ schedule, confirmDeletes }) =>
      c().changeSchedule(schedule, confirmDeletes),
    'settings.changeLocation': async ({ location, credentials }) => {
      try {
        return await c().changeLocation({ location, credentials });
      } finally {
        wipe(credentials?.password);
      }
    },
    'settings.changeCredentials': async ({ credentials }) => {
      try {
        return await c().changeCredentials(credentials);
      } finally {
        wipe(credentials.password);
      }
    },
    'settings.changeKey': async ({ encryption }) => {
      try {
        return await c().changeKey(toEncryption(encryption));
      } finally {
        wipe(secretOf(encryption));
      }
    },
    'jobs.list': async ({ page: { offset, limit }, kind }) => {
      const all = c().listJobs({ limit: 10_000 });
      return page(kind === undefined ? all : all.filter((j) => j.kind === kind), offset, limit);
    },
    'jobs.get': async ({ jobId }) => jobs.get(jobId) ?? c().getJob(jobId),
    'jobs.cancel': async ({ jobId }) => jobs.stop(jobId, 'cancel') ?? c().cancelJob(jobId),
    'audit.list': async ({ page: { offset, limit } }) => {
      const entries = c()
        .listAudit({ limit: 100_000 })
        .map((entry) => {
          const details = flatDetails(entry.details);
          return {
            seq: entry.seq,
            at: entry.time,
            actor: entry.actor,
            action: entry.action,
            subject: auditSubject(details),
            details,
          };
        })
        .reverse();
      return page(entries, offset, limit);
    },
    'audit.verify': async () => c().verifyAudit(),
  };
}
