/** `lifeboat audit`: list and verify the hash-chained audit log of configuration and key actions. */
import { stringOption, type CommandGroup } from './command.js';
import { withController } from './config.js';
import { CliErrors, printResult } from './io.js';
import { ERROR_CATEGORIES } from '../../shared/errors.js';

export const auditCommands: CommandGroup = {
  summary: 'the audit log of configuration, key, retention and deletion actions',
  commands: {
    verify: {
      summary: 'Walk the hash chain; exit 3 naming the first broken entry if it does not hold.',
      usage: '',
      options: {},
      run: async (ctx) =>
        withController(ctx, async (controller) => {
          const result = controller.verifyAudit();
          printResult(ctx, result, () => result.message);
          return result.ok ? 0 : ERROR_CATEGORIES.damaged;
        }),
    },
    list: {
      summary: 'Print the audit entries in order.',
      usage: '[--after SEQ] [--limit N]',
      options: { after: { type: 'string' }, limit: { type: 'string' } },
      run: async (ctx, args) => {
        const number = (name: string): number | undefined => {
          const value = stringOption(args, name);
          if (value === undefined) return undefined;
          if (!/^\d+$/.test(value))
            throw CliErrors.create('CLI_USAGE', `--${name} takes a whole number.`);
          return Number(value);
        };
        const afterSeq = number('after');
        const limit = number('limit');
        return withController(ctx, async (controller) => {
          const entries = controller.listAudit({
            ...(afterSeq === undefined ? {} : { afterSeq }),
            ...(limit === undefined ? {} : { limit }),
          });
          printResult(ctx, entries, () =>
            entries
              .map(
                (e) =>
                  `${String(e.seq).padStart(5)} ${e.time} ${e.actor} ${e.action} ${JSON.stringify(e.details)}`,
              )
              .join('\n'),
          );
          return 0;
        });
      },
    },
  },
};
