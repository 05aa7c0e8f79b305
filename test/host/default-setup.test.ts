import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startLabRack, type LabRack } from '../../electron/host/default-setup.js';

const program = join(import.meta.dirname, '..', '..', 'lab-rack', 'bin.ts');
const fromSource = { program, nodeArgs: ['--import', 'tsx'] };
const homes: string[] = [];

async function home(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-default-'));
  homes.push(dir);
  return dir;
}

/** Whether something answers TLS at the URL (the lab rack's certificate is self-signed). */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(`${url}/v1/`, { rejectUnauthorized: false, timeout: 5000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
  });
}

afterAll(async () => {
  for (const dir of homes) await rm(dir, { recursive: true, force: true });
});

describe('default set-up: the lab rack', () => {
  it('starts the lab rack under <home>/lab-rack, remembers its port, and stops it', async () => {
    const dir = await home();
    let rack: LabRack | null = await startLabRack({ home: dir, ...fromSource });
    try {
      expect(rack.stateDir).toBe(join(dir, 'lab-rack'));
      expect(rack.info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(existsSync(rack.info.passwordFile)).toBe(true);
      const port = new URL(rack.info.url).port;
      expect(readFileSync(join(dir, 'lab-rack.port'), 'utf8').trim()).toBe(port);
      expect(await answers(rack.info.url)).toBe(true);
      const url = rack.info.url;
      await rack.stop();
      rack = null;
      expect(await answers(url)).toBe(false);
      rack = await startLabRack({ home: dir, ...fromSource });
      expect(rack.info.url).toBe(url);
    } finally {
      await rack?.stop();
    }
  }, 60_000);

  it('reports a lab rack that cannot start as a typed error with its reason', async () => {
    const dir = await home();
    await writeFile(join(dir, 'lab-rack'), 'a file where the state folder should be');
    await expect(startLabRack({ home: dir, ...fromSource })).rejects.toMatchObject({
      code: 'IPC_LAB_RACK_START',
    });
    const broken = join(dir, 'broken.js');
    await writeFile(broken, 'process.stdout.write("not json\\n"); setInterval(() => {}, 1000);');
    const other = await home();
    await expect(startLabRack({ home: other, program: broken })).rejects.toMatchObject({
      code: 'IPC_LAB_RACK_START',
    });
  }, 60_000);
});
