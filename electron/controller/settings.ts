/**
 * Reading the settings as the screens show them, and changing the schedule and retention:
 * a retention change that would delete backups returns the list first and applies only with
 * exactly that list confirmed.
 */
import type { BackupConfig } from '../catalog/index.js';
import { secretIds } from '../vault/index.js';
import { parseOrThrow, scheduleSchema } from './config.js';
import type { ControllerContext } from './context.js';
import type { PrunePreview, Settings } from './contract-types.js';
import { storedUsername } from './storage-credentials.js';
import { ConfigErrors } from './errors.js';
import { operatorKeyId } from './keys.js';
import { previewPrune } from './maintenance.js';
import { loadSlots, saveSlots } from './schedule-store.js';
import { enabledSchedule, nextRunAt, setEnabled, type ScheduleState } from './scheduler.js';

export function getSettings(ctx: ControllerContext, isLab: (url: string) => boolean): Settings {
  const config = ctx.catalog.config.get();
  if (config === null) {
    return {
      configured: false,
      location: null,
      credentials: { present: false, username: null },
      encryption: null,
      schedule: { frequencyHours: 12, retentionDays: 7, enabled: false },
      rack: null,
      oldKeys: [],
    };
  }
  const username = storedUsername(ctx, config.credentialRef);
  return {
    configured: true,
    location: {
      kind: config.locationKind as 'folder' | 'share' | 'unc',
      path: config.locationPath,
    },
    credentials: { present: username !== null, username },
    encryption: {
      mode: config.encryption.mode,
      keyEpoch: currentEpoch(ctx, config),
      keyFingerprint:
        config.encryption.mode === 'key'
          ? keyFingerprint(ctx, config, config.encryption.keyEpoch)
          : null,
      certificateThumbprint:
        config.encryption.mode === 'certificate'
          ? config.encryption.thumbprint.toLowerCase()
          : null,
    },
    schedule: {
      frequencyHours: config.frequencyHours,
      retentionDays: config.retentionDays,
      enabled: config.schedulerEnabled,
    },
    rack:
      config.rack === null
        ? null
        : {
            url: config.rack.url,
            fingerprint: config.rack.fingerprint.replaceAll(':', '').toLowerCase(),
            username: config.rack.username,
            lab: isLab(config.rack.url),
          },
    oldKeys: oldKeysNeeded(ctx, config),
  };
}

/** The epoch new backups are written in. */
export function currentEpoch(ctx: ControllerContext, config: BackupConfig): number {
  if (config.encryption.mode === 'key') return config.encryption.keyEpoch;
  const epochs = ctx.catalog.backups
    .list({ locationId: config.locationId })
    .map((b) => b.keyEpoch ?? 0);
  const prefix = `repo-master-key:${config.repositoryId}:`;
  for (const entry of ctx.vault.list()) {
    if (entry.id.startsWith(prefix)) epochs.push(Number(entry.id.slice(prefix.length)) || 0);
  }
  return Math.max(1, ...epochs);
}

function keyFingerprint(
  ctx: ControllerContext,
  config: BackupConfig,
  epoch: number,
): string | null {
  if (config.repositoryId === null) return null;
  const id = secretIds.repoOperatorKey(config.repositoryId, epoch);
  if (!ctx.vault.has(id)) return null;
  const key = ctx.vault.get(id);
  const fingerprint = operatorKeyId(key);
  key.fill(0);
  return fingerprint;
}

/** Older key epochs that listed backups still need, so the operator keeps those keys. */
export function oldKeysNeeded(ctx: ControllerContext, config: BackupConfig): Settings['oldKeys'] {
  const current = currentEpoch(ctx, config);
  const byEpoch = new Map<number, { ids: string[]; thumbprint: string | null }>();
  for (const backup of ctx.catalog.backups.list()) {
    // Only backups present in a repository need a key; Failed ones never reached it.
    if (backup.status !== 'Succeeded' && backup.status !== 'PartialSucceeded') continue;
    if (backup.keyEpoch === null) continue;
    if (backup.locationId === config.locationId && backup.keyEpoch === current) continue;
    const entry = byEpoch.get(backup.keyEpoch) ?? {
      ids: [],
      thumbprint: backup.certificateThumbprint,
    };
    entry.ids.push(backup.id);
    byEpoch.set(backup.keyEpoch, entry);
  }
  return [...byEpoch.entries()]
    .sort(([a], [b]) => a - b)
    .map(([epoch, entry]) => ({
      keyEpoch: epoch,
      keyFingerprint: keyFingerprint(ctx, config, epoch),
      certificateThumbprint: entry.thumbprint?.toLowerCase() ?? null,
      neededBy: entry.ids,
    }));
}

export interface ScheduleInput {
  readonly frequencyHours: number;
  readonly retentionDays: number;
  readonly enabled: boolean;
}

/** What a schedule change would delete (empty when retention is not lowered past a backup). */
export function previewSchedule(ctx: ControllerContext, input: ScheduleInput): PrunePreview {
  const schedule = parseOrThrow(scheduleSchema, input, 'schedule');
  return previewPrune(ctx, schedule.retentionDays);
}

/**
 * Applies frequency, retention and the scheduler switch. When the new retention would delete
 * backups, `confirmDeletes` must list exactly those; otherwise CONFIG_CONFIRMATION_REQUIRED
 * names them and nothing changes. The deletion itself happens at the next prune.
 */
export function changeSchedule(
  ctx: ControllerContext,
  input: ScheduleInput,
  confirmDeletes: readonly string[],
): BackupConfig {
  const current = ctx.config();
  const schedule = parseOrThrow(scheduleSchema, input, 'schedule');
  const wouldDelete = previewPrune(ctx, schedule.retentionDays).wouldDelete.map((b) => b.backupId);
  const confirmed = new Set(confirmDeletes);
  if (wouldDelete.some((id) => !confirmed.has(id))) {
    throw ConfigErrors.create(
      'CONFIG_CONFIRMATION_REQUIRED',
      `Retention of ${schedule.retentionDays} days would delete ${wouldDelete.length} backup(s): ${wouldDelete.join(', ')}.`,
      { details: { wouldDelete: wouldDelete.join(',') } },
    );
  }
  const { updated: _updated, ...rest } = current;
  const saved = ctx.catalog.transaction(() => {
    const result = ctx.catalog.config.save(
      {
        ...rest,
        frequencyHours: schedule.frequencyHours,
        retentionDays: schedule.retentionDays,
        schedulerEnabled: schedule.enabled,
      },
      { actor: ctx.actor },
    );
    if (current.retentionDays !== schedule.retentionDays) {
      ctx.audit('retention.set', {
        from: current.retentionDays,
        to: schedule.retentionDays,
        confirmedDeletes: wouldDelete,
      });
    }
    return result;
  });
  const slots = scheduleState(ctx, current);
  const next = setEnabled(
    { ...slots, frequencyHours: schedule.frequencyHours },
    schedule.enabled,
    ctx.now(),
  );
  saveSlots(ctx.home, next);
  ctx.emit({ type: 'changed', topics: ['settings', 'health', 'audit'] });
  return saved;
}

/** The schedule as the scheduler sees it: settings from the catalog, slots from the jobs folder. */
export function scheduleState(ctx: ControllerContext, config: BackupConfig): ScheduleState {
  const slots = loadSlots(ctx.home) ?? enabledSchedule(config.frequencyHours, ctx.now());
  return {
    enabled: config.schedulerEnabled,
    frequencyHours: config.frequencyHours,
    anchorMs: slots.anchorMs,
    lastSlotMs: slots.lastSlotMs,
  };
}

export function nextScheduledRun(ctx: ControllerContext, config: BackupConfig): number | null {
  return nextRunAt(scheduleState(ctx, config));
}
