/**
 * `lifeboat key`: make a new backup key, and rotate the repository to a new key epoch.
 * A key is printed once (or written to a new file with mode 0600) and never stored in argv.
 */
import { writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { operatorKeyId } from '../controller/keys.js';
import { stringOption, type CommandGroup } from './command.js';
import { settingsText, encryptionFromArgs, withController } from './config.js';
import { CliErrors, printResult } from './io.js';

export const keyCommands: CommandGroup = {
  summary: 'create backup keys and rotate the repository to a new key epoch',
  commands: {
    new: {
      summary: 'Create a 256-bit backup key: printed once, or written to a new file (mode 0600).',
      usage: '[--out FILE]',
      options: { out: { type: 'string' } },
      run: async (ctx, args) => {
        const key = randomBytes(32);
        const line = Buffer.from(`${key.toString('base64')}\n`, 'ascii');
        const keyId = operatorKeyId(key);
        const out = stringOption(args, 'out');
        try {
          if (out !== undefined) {
            try {
              await writeFile(out, line, { flag: 'wx', mode: 0o600 });
            } catch (error) {
              throw CliErrors.create('CLI_USAGE', `Cannot create ${out} (it must not exist yet).`, {
                cause: error,
              });
            }
            printResult(
              ctx,
              { keyId, file: out },
              () =>
                `key ${keyId} written to ${out}. Store a copy offline: without it no backup can be recovered.`,
            );
          } else if (ctx.json) {
            ctx.stdout.write(
              `${JSON.stringify({ keyId, key: line.toString('ascii').trim() }, null, 2)}\n`,
            );
          } else {
            ctx.stdout.write(line);
            ctx.stderr.write(
              `key id ${keyId}. Store this key offline now: it is not shown again.\n`,
            );
          }
        } finally {
          key.fill(0);
          line.fill(0);
        }
        return 0;
      },
    },
    rotate: {
      summary:
        'Start a new key epoch with a new key or certificate; lists the backups that still need older keys.',
      usage: '--key FILE|- | --certificate FILE.cer',
      options: { key: { type: 'string' }, certificate: { type: 'string' } },
      run: async (ctx, args) => {
        const encryption = await encryptionFromArgs(ctx, args, false);
        if (encryption === null)
          throw CliErrors.create('CLI_USAGE', 'Give --key or --certificate.');
        return withController(ctx, async (controller) => {
          const settings = await controller.changeKey(encryption);
          printResult(ctx, settings, () => `Key rotated.\n${settingsText(settings)}`);
          return 0;
        });
      },
    },
  },
};
