/**
 * The backup configuration's rules, as pure validation: the ranges Azure Stack Hub operators
 * know (frequency 4–12 h, default 12; retention 2–14 days, default 7), location paths, the rack
 * endpoint. Nothing here touches disk; the controller persists through the catalog.
 */
import { z } from 'zod';
import { isAbsolutePath, isUncPath } from '../../shared/paths.js';
import { ConfigErrors } from './errors.js';

export const FREQUENCY_HOURS = { min: 4, max: 12, default: 12 } as const;
export const RETENTION_DAYS = { min: 2, max: 14, default: 7 } as const;

export const frequencyHoursSchema = z
  .number()
  .int()
  .min(FREQUENCY_HOURS.min)
  .max(FREQUENCY_HOURS.max);
export const retentionDaysSchema = z.number().int().min(RETENTION_DAYS.min).max(RETENTION_DAYS.max);

/** A folder, a mounted SMB/NFS share, or a Windows UNC path (`\\server\share\folder`). */
export const locationKindSchema = z.enum(['folder', 'share', 'unc']);
export type LocationKind = z.infer<typeof locationKindSchema>;

export const locationSchema = z
  .object({ kind: locationKindSchema, path: z.string().min(1).max(4096) })
  .superRefine((value, ctx) => {
    if (value.path.includes('\0')) ctx.addIssue({ code: 'custom', message: 'contains NUL' });
    if (value.kind === 'unc' && !isUncPath(value.path)) {
      ctx.addIssue({ code: 'custom', message: 'a UNC path looks like \\\\server\\share\\folder' });
    }
    if (value.kind !== 'unc' && !isAbsolutePath(value.path)) {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute path' });
    }
  });
export type LocationInput = z.infer<typeof locationSchema>;

export const rackEndpointSchema = z.object({
  url: z
    .string()
    .url()
    .refine((u) => u.startsWith('https://'), 'the rack API is reached over https'),
  /** SHA-256 fingerprint of the rack's certificate, hex with or without colons. */
  fingerprint: z
    .string()
    .transform((s) => s.replaceAll(':', '').toLowerCase())
    .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 fingerprint is 64 hex digits')),
  username: z.string().min(1).max(256),
});
export type RackEndpoint = z.infer<typeof rackEndpointSchema>;

export const scheduleSchema = z.object({
  frequencyHours: frequencyHoursSchema.default(FREQUENCY_HOURS.default),
  retentionDays: retentionDaysSchema.default(RETENTION_DAYS.default),
  enabled: z.boolean().default(true),
});
export type ScheduleSettings = z.infer<typeof scheduleSchema>;

/** The settings `lifeboat config set` and the settings screen may change (all optional). */
export const settingsPatchSchema = z
  .object({
    frequencyHours: frequencyHoursSchema,
    retentionDays: retentionDaysSchema,
    schedulerEnabled: z.boolean(),
  })
  .partial()
  .strict();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

/** Parses outside input with a schema and turns the first problem into CONFIG_INVALID. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw ConfigErrors.create(
    'CONFIG_INVALID',
    `Invalid ${what}: ${field}${issue?.message ?? 'rejected'}.`,
  );
}

/** Converts a `lifeboat config set KEY VALUE` pair into a validated patch. */
export function settingFromText(key: string, value: string): SettingsPatch {
  const numeric = (): number => (/^\d+$/.test(value) ? Number(value) : Number.NaN);
  const flag = (): boolean | string =>
    value === 'on' || value === 'true'
      ? true
      : value === 'off' || value === 'false'
        ? false
        : value;
  const raw: Record<string, unknown> = {
    frequency: { frequencyHours: numeric() },
    'frequency-hours': { frequencyHours: numeric() },
    retention: { retentionDays: numeric() },
    'retention-days': { retentionDays: numeric() },
    scheduler: { schedulerEnabled: flag() },
  };
  if (!(key in raw)) {
    throw ConfigErrors.create('CONFIG_INVALID', `Unknown setting "${key}".`, {
      hint: 'Settings: frequency (4–12 hours), retention (2–14 days), scheduler (on|off).',
    });
  }
  return parseOrThrow(settingsPatchSchema, raw[key], `setting ${key}`);
}
