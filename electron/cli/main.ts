/**
 * The `lifeboat` command: a thin dispatcher over the same services the desktop app uses.
 *
 *     lifeboat [--json] [--home DIR] <group> <command> [options]
 *
 * Exit codes (see docs/cli.md): 0 success, 1 internal defect, 2 usage, 3 damaged data,
 * 4 busy (locked by another job), 5 authentication or key refused, 6 storage failure,
 * 7 rack failure, 8 refused by a safety rule, 9 cancelled.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// heap.js alone: the engine itself is loaded only by the commands that use it.
import { applyHeapGrowth } from '../repository/heap.js';
import type { CommandGroup } from './command.js';
import { CliErrors, reportError, type CliContext } from './io.js';

/** Groups are loaded on demand so one command does not pay for the others' start-up. */
const GROUPS: Record<string, () => Promise<CommandGroup>> = {
  repo: async () => (await import('./repo.js')).repoCommands,
  config: async () => (await import('./config.js')).configCommands,
  backup: async () => (await import('./backup.js')).backupCommands,
  key: async () => (await import('./key.js')).keyCommands,
  audit: async () => (await import('./audit.js')).auditCommands,
  catalog: async () => (await import('./catalog.js')).catalogCommands,
  recovery: async () => (await import('./recovery.js')).recoveryCommands,
};

export function defaultHome(): string {
  const fromEnv = process.env['LIFEBOAT_HOME'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (process.platform === 'win32') {
    return join(process.env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'Lifeboat');
  }
  if (process.platform === 'darwin') {
    return join(homedir(), 'Library', 'Application Support', 'Lifeboat');
  }
  return join(process.env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'lifeboat');
}

interface GlobalOptions {
  json: boolean;
  home: string;
  rest: string[];
}

/** Global options may stand before or after the group and command names. */
function splitGlobalOptions(argv: string[]): GlobalOptions {
  const rest: string[] = [];
  let json = false;
  let home = defaultHome();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--json') json = true;
    else if (arg === '--home') {
      const value = argv[++i];
      if (value === undefined) throw CliErrors.create('CLI_USAGE', '--home needs a folder.');
      home = value;
    } else if (arg.startsWith('--home=')) home = arg.slice('--home='.length);
    else rest.push(arg);
  }
  return { json, home, rest };
}

function groupHelp(name: string, group: CommandGroup): string {
  const lines = [`lifeboat ${name}: ${group.summary}`, ''];
  for (const [command, spec] of Object.entries(group.commands)) {
    lines.push(`  lifeboat ${name} ${command} ${spec.usage}`.trimEnd());
    lines.push(`      ${spec.summary}`);
  }
  return lines.join('\n');
}

function topHelp(): string {
  return [
    'lifeboat [--json] [--home DIR] <group> <command> [options]',
    '',
    `groups: ${Object.keys(GROUPS).join(', ')}`,
    'Run `lifeboat <group> help` for the commands of a group.',
    'Secrets (keys, passwords) are read only from a file or from standard input ("-").',
  ].join('\n');
}

export async function runCli(
  argv: string[],
  io: Omit<CliContext, 'json' | 'home'>,
): Promise<number> {
  let ctx: CliContext = { ...io, json: argv.includes('--json'), home: defaultHome() };
  try {
    const global = splitGlobalOptions(argv);
    ctx = { ...io, json: global.json, home: global.home };
    const [groupName, commandName, ...rest] = global.rest;
    if (groupName === undefined || groupName === 'help' || groupName === '--help') {
      ctx.stdout.write(`${topHelp()}\n`);
      return groupName === undefined ? 2 : 0;
    }
    const loadGroup = GROUPS[groupName];
    if (loadGroup === undefined) {
      throw CliErrors.create('CLI_USAGE', `Unknown command group "${groupName}".`);
    }
    const group = await loadGroup();
    if (commandName === undefined || commandName === 'help' || commandName === '--help') {
      ctx.stdout.write(`${groupHelp(groupName, group)}\n`);
      return commandName === undefined ? 2 : 0;
    }
    const command = group.commands[commandName];
    if (command === undefined) {
      throw CliErrors.create('CLI_USAGE', `Unknown command "${groupName} ${commandName}".`);
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: command.options,
        allowPositionals: true,
        strict: true,
      });
    } catch (error) {
      throw CliErrors.create('CLI_USAGE', (error as Error).message, {
        hint: `Usage: lifeboat ${groupName} ${commandName} ${command.usage}`,
      });
    }
    return await command.run(ctx, parsed);
  } catch (error) {
    return reportError(ctx, error);
  }
}

/** Entry point when run as a program. */
export async function main(): Promise<void> {
  applyHeapGrowth();
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    signal: controller.signal,
  });
  process.exitCode = code;
}
