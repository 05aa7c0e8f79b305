/** `lifeboat catalog`: rebuild the local catalog from the repository at the configured location. */
import type { CommandGroup } from './command.js';
import { withController } from './config.js';
import { printResult } from './io.js';

export const catalogCommands: CommandGroup = {
  summary: 'the local catalog (a cache of the repository)',
  commands: {
    rebuild: {
      summary: 'Re-read every backup of the configured location from its repository.',
      usage: '',
      options: {},
      run: async (ctx) =>
        withController(ctx, async (controller) => {
          const result = await controller.rebuildCatalog();
          printResult(
            ctx,
            result,
            () =>
              `catalog rebuilt: ${result.backups} backup(s) (${result.added} added, ${result.removed} removed).`,
          );
          return 0;
        }),
    },
  },
};
