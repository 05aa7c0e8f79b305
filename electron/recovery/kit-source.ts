/**
 * Gathers a recovery kit from the catalog: the configured location and rack, the key epochs or
 * certificate thumbprints in use, and the backups listed for the location. Reads references
 * only; the catalog holds no secret, so neither can the kit.
 */
import type { Backup, Catalog } from '../catalog/index.js';
import { normalizeFingerprint } from '../rack/index.js';
import { RecoveryErrors } from './errors.js';
import type { KitBackup, RecoveryKit } from './kit.js';

export function buildKitFromCatalog(catalog: Catalog, now = new Date()): RecoveryKit {
  const config = catalog.config.get();
  if (config === null) {
    throw RecoveryErrors.create(
      'RECOVERY_KIT_UNAVAILABLE',
      'Backup is not enabled in this profile, so there is no rack to make a kit for.',
    );
  }
  const backups = catalog.backups.list({ locationId: config.locationId });
  const newest = backups[0];
  return {
    generatedAt: now.toISOString(),
    rack: {
      stampId: newest?.sourceStampId ?? 'not backed up yet',
      url: config.rack?.url ?? 'not configured',
      // Printed the way the rack's console and `lifeboat` show it (AB:CD:…), to compare by eye.
      fingerprint: config.rack ? normalizeFingerprint(config.rack.fingerprint) : 'not configured',
      version: newest?.sourceVersion ?? 'unknown',
    },
    location: { path: config.locationPath },
    encryption:
      config.encryption.mode === 'key'
        ? {
            mode: 'key',
            epochs: unique([config.encryption.keyEpoch, ...backups.map((b) => b.keyEpoch)]),
          }
        : {
            mode: 'certificate',
            thumbprints: unique([
              config.encryption.thumbprint,
              ...backups.map((b) => b.certificateThumbprint),
            ]),
          },
    backups: backups.map(kitBackup),
  };
}

function kitBackup(backup: Backup): KitBackup {
  return {
    id: backup.id,
    createdAt: backup.created,
    status: backup.status,
    sourceVersion: backup.sourceVersion ?? 'unknown',
    keyReference: keyReference(backup.keyEpoch, backup.certificateThumbprint),
    sizeBytes: backup.logicalBytes,
    provenAt: backup.provenByDrill,
  };
}

/** How the kit, discovery and reports name the key a backup needs. */
export function keyReference(epoch: number | null, thumbprint: string | null): string {
  if (thumbprint !== null) return `certificate ${thumbprint}`;
  return epoch === null ? 'unknown key' : `key epoch ${epoch}`;
}

function unique<T extends string | number>(values: readonly (T | null)[]): T[] {
  return [...new Set(values.filter((value): value is T => value !== null))].sort();
}
