/**
 * `lifeboat config`: show and change the backup configuration, and enable backup.
 * Also home of `openController`, which every controller-backed group uses.
 */
import { readFile } from 'node:fs/promises';
import { BackupController } from '../controller/index.js';
import type { EncryptionInput, Settings } from '../controller/index.js';
import { settingFromText } from '../controller/index.js';
import { flagOption, stringOption, type CommandGroup, type ParsedArgs } from './command.js';
import {
  CliErrors,
  printResult,
  readSecret,
  STORAGE_CREDENTIAL_OPTIONS,
  storageCredentialsFromArgs,
  type CliContext,
} from './io.js';

/**
 * Opens the controller on the profile folder. A passphrase-protected vault is opened with the
 * file named by LIFEBOAT_VAULT_PASSPHRASE_FILE (the variable names a file, never the secret).
 */
export async function openController(ctx: CliContext): Promise<BackupController> {
  const passphraseFile = process.env['LIFEBOAT_VAULT_PASSPHRASE_FILE'];
  const vaultPassphrase =
    passphraseFile === undefined || passphraseFile === ''
      ? undefined
      : await readSecret(ctx, passphraseFile, 'vault passphrase');
  try {
    return await BackupController.open({
      home: ctx.home,
      source: 'cli',
      ...(vaultPassphrase === undefined ? {} : { vaultPassphrase }),
    });
  } finally {
    vaultPassphrase?.fill(0);
  }
}

/** Runs `fn` with an opened controller and closes it whatever happens. */
export async function withController<T>(
  ctx: CliContext,
  fn: (controller: BackupController) => Promise<T>,
): Promise<T> {
  const controller = await openController(ctx);
  try {
    return await fn(controller);
  } finally {
    await controller.close();
  }
}

function required(args: ParsedArgs, name: string): string {
  const value = stringOption(args, name);
  if (value === undefined || value === '') {
    throw CliErrors.create('CLI_USAGE', `--${name} is required.`);
  }
  return value;
}

function locationKind(args: ParsedArgs): 'folder' | 'share' | 'unc' {
  const kind = stringOption(args, 'kind') ?? 'folder';
  if (kind !== 'folder' && kind !== 'share' && kind !== 'unc') {
    throw CliErrors.create('CLI_USAGE', `--kind must be folder, share or unc (not "${kind}").`);
  }
  return kind;
}

/** `--key FILE|-` or `--certificate FILE` (exactly one), read as the operator gave them. */
export async function encryptionFromArgs(
  ctx: CliContext,
  args: ParsedArgs,
  optional: boolean,
): Promise<EncryptionInput | null> {
  const keySource = stringOption(args, 'key');
  const certificate = stringOption(args, 'certificate');
  if (keySource !== undefined && certificate !== undefined) {
    throw CliErrors.create('CLI_USAGE', 'Give either --key or --certificate, not both.');
  }
  if (keySource !== undefined)
    return { mode: 'imported', key: await readSecret(ctx, keySource, 'backup key') };
  if (certificate !== undefined) {
    try {
      return { mode: 'certificate', certificate: await readFile(certificate) };
    } catch (error) {
      throw CliErrors.create('CLI_USAGE', `The certificate file ${certificate} cannot be read.`, {
        cause: error,
      });
    }
  }
  if (optional) return null;
  throw CliErrors.create(
    'CLI_USAGE',
    'Give the encryption: --key FILE|- (from `lifeboat key new`) or --certificate FILE.cer.',
  );
}

async function rackFromArgs(ctx: CliContext, args: ParsedArgs) {
  return {
    url: required(args, 'rack'),
    fingerprint: required(args, 'fingerprint'),
    username: required(args, 'rack-user'),
    password: await readSecret(ctx, required(args, 'rack-password'), 'rack password'),
  };
}

function numberOption(args: ParsedArgs, name: string): number | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw CliErrors.create('CLI_USAGE', `--${name} takes a whole number.`);
  return Number(value);
}

export function settingsText(settings: Settings): string {
  if (!settings.configured) return 'Backup is not enabled. Run `lifeboat config enable`.';
  const lines = [
    `location:    ${settings.location?.path} (${settings.location?.kind})`,
    `credentials: ${settings.credentials.present ? `stored for ${settings.credentials.username}` : 'none'}`,
    `encryption:  ${
      settings.encryption?.mode === 'certificate'
        ? `certificate ${settings.encryption.certificateThumbprint}, epoch ${settings.encryption.keyEpoch}`
        : `key ${settings.encryption?.keyFingerprint ?? '?'}, epoch ${settings.encryption?.keyEpoch}`
    }`,
    `schedule:    every ${settings.schedule.frequencyHours} h, ${settings.schedule.enabled ? 'on' : 'off'}`,
    `retention:   ${settings.schedule.retentionDays} days`,
    `rack:        ${settings.rack === null ? 'none' : `${settings.rack.url} as ${settings.rack.username}${settings.rack.lab ? ' (LAB)' : ''}`}`,
  ];
  for (const old of settings.oldKeys) {
    lines.push(
      `keep key of epoch ${old.keyEpoch} (${old.keyFingerprint ?? old.certificateThumbprint ?? 'unknown'}): needed by ${old.neededBy.length} backup(s)`,
    );
  }
  return lines.join('\n');
}

const LOCATION_OPTIONS = {
  location: { type: 'string' },
  kind: { type: 'string' },
  ...STORAGE_CREDENTIAL_OPTIONS,
} as const;
const KEY_OPTIONS = { key: { type: 'string' }, certificate: { type: 'string' } } as const;
const RACK_OPTIONS = {
  rack: { type: 'string' },
  fingerprint: { type: 'string' },
  'rack-user': { type: 'string' },
  'rack-password': { type: 'string' },
} as const;

export const configCommands: CommandGroup = {
  summary: 'show and change the backup configuration',
  commands: {
    show: {
      summary: 'Print the configuration (no secrets) and the older keys backups still need.',
      usage: '',
      options: {},
      run: async (ctx) =>
        withController(ctx, async (controller) => {
          const settings = controller.settings();
          printResult(ctx, settings, () => settingsText(settings));
          return 0;
        }),
    },
    set: {
      summary: 'Change one setting: frequency (4-12 h), retention (2-14 days), scheduler (on|off).',
      usage: 'frequency|retention|scheduler VALUE [--yes]',
      options: { yes: { type: 'boolean' } },
      run: async (ctx, args) => {
        const [key, value] = args.positionals;
        if (key === undefined || value === undefined || args.positionals.length !== 2) {
          throw CliErrors.create('CLI_USAGE', 'Usage: lifeboat config set SETTING VALUE');
        }
        const patch = settingFromText(key, value);
        return withController(ctx, async (controller) => {
          const current = controller.settings();
          if (!current.configured) {
            throw CliErrors.create(
              'CLI_USAGE',
              'Backup is not enabled yet; run `lifeboat config enable` first.',
            );
          }
          const schedule = {
            frequencyHours: patch.frequencyHours ?? current.schedule.frequencyHours,
            retentionDays: patch.retentionDays ?? current.schedule.retentionDays,
            enabled: patch.schedulerEnabled ?? current.schedule.enabled,
          };
          // --yes confirms exactly what the preview shows now; without it a deletion is refused.
          const confirm = flagOption(args, 'yes')
            ? controller.previewSchedule(schedule).wouldDelete.map((b) => b.backupId)
            : [];
          const settings = controller.changeSchedule(schedule, confirm);
          printResult(ctx, settings, () => settingsText(settings));
          return 0;
        });
      },
    },
    enable: {
      summary: 'Enable backup: validate the location, the rack and the key, then save.',
      usage:
        '--location PATH [--kind folder|share|unc] (--key FILE|- | --certificate FILE.cer) --rack URL --fingerprint SHA256 --rack-user NAME --rack-password FILE|- [--storage-user NAME --storage-password FILE|-] [--frequency H] [--retention D] [--scheduler on|off]',
      options: {
        ...LOCATION_OPTIONS,
        ...KEY_OPTIONS,
        ...RACK_OPTIONS,
        frequency: { type: 'string' },
        retention: { type: 'string' },
        scheduler: { type: 'string' },
      },
      run: async (ctx, args) => {
        const scheduler = stringOption(args, 'scheduler');
        if (scheduler !== undefined && scheduler !== 'on' && scheduler !== 'off') {
          throw CliErrors.create('CLI_USAGE', '--scheduler is on or off.');
        }
        const frequencyHours = numberOption(args, 'frequency');
        const retentionDays = numberOption(args, 'retention');
        const input = {
          location: { kind: locationKind(args), path: required(args, 'location') },
          credentials: await storageCredentialsFromArgs(ctx, args),
          encryption: (await encryptionFromArgs(ctx, args, false)) as EncryptionInput,
          rack: await rackFromArgs(ctx, args),
          schedule: {
            ...(frequencyHours === undefined ? {} : { frequencyHours }),
            ...(retentionDays === undefined ? {} : { retentionDays }),
            ...(scheduler === undefined ? {} : { enabled: scheduler === 'on' }),
          },
        };
        return withController(ctx, async (controller) => {
          const settings = await controller.enable(input);
          printResult(ctx, settings, () => `Backup enabled.\n${settingsText(settings)}`);
          return 0;
        });
      },
    },
    location: {
      summary:
        'Move backups to another location (validated first; older backups stay listed where they are).',
      usage:
        '--location PATH [--kind folder|share|unc] [--storage-user NAME --storage-password FILE|-] [--key FILE|- | --certificate FILE.cer]',
      options: { ...LOCATION_OPTIONS, ...KEY_OPTIONS },
      run: async (ctx, args) => {
        const input = {
          location: { kind: locationKind(args), path: required(args, 'location') },
          credentials: await storageCredentialsFromArgs(ctx, args),
          encryption: await encryptionFromArgs(ctx, args, true),
        };
        return withController(ctx, async (controller) => {
          const settings = await controller.changeLocation(input);
          printResult(ctx, settings, () => settingsText(settings));
          return 0;
        });
      },
    },
    credentials: {
      summary: 'Replace the storage credentials (the location is checked first).',
      usage: '--storage-user NAME --storage-password FILE|-',
      options: { 'storage-user': { type: 'string' }, 'storage-password': { type: 'string' } },
      run: async (ctx, args) => {
        const credentials = await storageCredentialsFromArgs(ctx, args);
        if (credentials === null)
          throw CliErrors.create('CLI_USAGE', 'Give --storage-user and --storage-password.');
        return withController(ctx, async (controller) => {
          const settings = await controller.changeCredentials(credentials);
          printResult(ctx, settings, () => settingsText(settings));
          return 0;
        });
      },
    },
    rack: {
      summary: 'Change the rack endpoint or its credentials (the rack must answer first).',
      usage: '--rack URL --fingerprint SHA256 --rack-user NAME --rack-password FILE|-',
      options: { ...RACK_OPTIONS },
      run: async (ctx, args) => {
        const rack = await rackFromArgs(ctx, args);
        return withController(ctx, async (controller) => {
          const settings = await controller.changeRack(rack);
          printResult(ctx, settings, () => settingsText(settings));
          return 0;
        });
      },
    },
    health: {
      summary: 'Last Succeeded backup and its age, next run, free space, days until full, alerts.',
      usage: '',
      options: {},
      run: async (ctx) =>
        withController(ctx, async (controller) => {
          const health = await controller.health();
          printResult(ctx, health, () =>
            [
              `last Succeeded: ${health.lastSucceeded === null ? 'never' : `${health.lastSucceeded.backupId} (${(health.lastSucceeded.ageSeconds / 3600).toFixed(1)} h ago)`}`,
              `next run:       ${health.nextRunAt ?? 'not scheduled'}`,
              `free space:     ${health.location?.freeBytes ?? 'unknown'} bytes; days until full: ${health.location?.daysUntilFull?.toFixed(1) ?? 'unknown'}`,
              ...health.alerts.map(
                (a) => `ALERT ${a.severity} ${a.code}: ${a.message}\n  hint: ${a.hint}`,
              ),
            ].join('\n'),
          );
          return health.alerts.some((a) => a.severity === 'critical') ? 11 : 0;
        }),
    },
  },
};
