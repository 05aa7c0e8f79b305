import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const config = require('../../build/electron-builder.config.cjs') as Record<string, unknown>;

describe('installer configuration', () => {
  it('never updates itself and never rebuilds or downloads at packaging', () => {
    expect(config['publish']).toBeNull();
    expect(config['npmRebuild']).toBe(false);
    expect(config['nodeGypRebuild']).toBe(false);
    expect(config['electronVersion']).toBe(require('electron/package.json').version);
  });

  it('unpacks the native modules from the asar', () => {
    const unpack = config['asarUnpack'] as string[];
    for (const module of ['better-sqlite3', '@napi-rs/keyring', 'zstd-napi']) {
      expect(
        unpack.some((glob) => glob.includes(module)),
        module,
      ).toBe(true);
    }
  });

  it('flips the fuses from the security checklist', () => {
    expect(config['electronFuses']).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('builds AppImage and deb for Linux and a per-machine NSIS for Windows', () => {
    expect((config['linux'] as { target: string[] }).target).toEqual(['AppImage', 'deb']);
    expect((config['win'] as { target: string[] }).target).toEqual(['nsis']);
    expect(config['nsis']).toMatchObject({ oneClick: false, perMachine: true });
  });

  it('ships the compiled app without sources, maps or the lab rack', () => {
    const files = config['files'] as string[];
    expect(files).toContain('!**/*.map');
    expect(files.some((f) => f.includes('lab-rack'))).toBe(false);
    expect(files.some((f) => /\.tsx?$|^electron\//.test(f))).toBe(false);
  });
});
