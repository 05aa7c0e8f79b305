/**
 * Opens the console in the system browser, if there is one, without putting the token on a
 * command line (where `ps` would show it to other users): the opener gets the path of a small
 * page, readable by the owner only, that forwards to the address with its token. Never fails:
 * with no browser the printed address is the way in.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Opener {
  readonly command: string;
  readonly args: (target: string) => string[];
}

function onPath(name: string, env: Readonly<Record<string, string | undefined>>): boolean {
  return (env['PATH'] ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, name)));
}

/** The platform's "open this with the default app" command, or null when there is none. */
export function systemOpener(
  platform: string,
  env: Readonly<Record<string, string | undefined>>,
): Opener | null {
  if (platform === 'win32') return { command: 'cmd', args: (t) => ['/c', 'start', '""', t] };
  if (platform === 'darwin') return { command: 'open', args: (t) => [t] };
  return onPath('xdg-open', env) ? { command: 'xdg-open', args: (t) => [t] } : null;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** Writes the owner-only forwarding page; returns its path and a remover. */
export function writeLaunchPage(folder: string, url: string): { path: string; remove(): void } {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const path = join(folder, 'open-console.html');
  const target = escapeAttribute(url);
  writeFileSync(
    path,
    `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${target}">` +
      `<title>Lifeboat</title><a href="${target}">Open the Lifeboat console</a>\n`,
    { mode: 0o600 },
  );
  return { path, remove: () => rmSync(path, { force: true }) };
}

/** Starts the opener detached; returns whether one was started. */
export function openInBrowser(opener: Opener | null, target: string): boolean {
  if (opener === null) return false;
  try {
    const child = spawn(opener.command, opener.args(target), { detached: true, stdio: 'ignore' });
    child.once('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}
