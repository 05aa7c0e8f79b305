/**
 * The shape of a `lifeboat` subcommand group. Each group (repo, config, backup, key, audit,
 * catalog, recovery) lives in its own file and registers here through electron/cli/main.ts.
 */
import type { ParseArgsConfig } from 'node:util';
import type { CliContext } from './io.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

export interface Command {
  /** One line for `lifeboat <group> help`. */
  readonly summary: string;
  /** Usage after the group and command name, e.g. `ID --to DIR`. */
  readonly usage: string;
  readonly options: OptionSpec;
  /** Returns the process exit code (0 on success). Throws LifeboatError on failure. */
  run(ctx: CliContext, args: ParsedArgs): Promise<number>;
}

export interface CommandGroup {
  readonly summary: string;
  readonly commands: Record<string, Command>;
}

/** Reads a string option, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flagOption(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
