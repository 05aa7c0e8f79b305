/**
 * The engine's heap settings reach node as they are measured: the command's launcher carries
 * exactly ENGINE_V8_FLAGS, and this node accepts them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { ENGINE_V8_FLAGS, cipherGarbageMeter } from '../../electron/repository/heap.js';

const LAUNCHER = new URL('../../bin/lifeboat.js', import.meta.url);

describe('engine heap settings', () => {
  it('the launcher starts node with exactly ENGINE_V8_FLAGS', () => {
    const [shebang] = readFileSync(LAUNCHER, 'utf8').split('\n');
    expect(shebang).toBe(`#!/usr/bin/env -S node ${ENGINE_V8_FLAGS.join(' ')}`);
  });

  it('node accepts the flags and keeps the young generation small', () => {
    // Objects that survive make V8 grow its semi-spaces (by default to 16 MiB each).
    const growNewSpace = `
      const v8 = require('node:v8');
      const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      let largest = 0;
      const kept = [];
      for (let i = 0; i < 3e6; i++) {
        kept.push({ i });
        if (i % 10000 === 0) largest = Math.max(largest, newSpace().space_size);
      }
      console.log(largest);`;
    const probe = (flags: readonly string[]) => {
      const run = spawnSync(process.execPath, [...flags, '-e', growNewSpace], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      return Number(run.stdout.trim());
    };
    expect(probe([])).toBeGreaterThan(8 * MiB); // the probe does grow it without the flags
    expect(probe(ENGINE_V8_FLAGS)).toBeLessThanOrEqual(4 * MiB); // two semi-spaces of 2 MiB
  });

  it('a crypto worker collects its young generation once 4 MiB of cipher output is behind it', async () => {
    const minorCollections: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minorCollections.push(entry.startTime);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      const noteCipherOutput = cipherGarbageMeter();
      const before = performance.now();
      for (let i = 0; i < 4; i++) noteCipherOutput(MiB + 1); // crosses 4 MiB on the 4th
      await new Promise((resolve) => setTimeout(resolve, 50)); // entries arrive asynchronously
      expect(minorCollections.some((at) => at >= before)).toBe(true);
    } finally {
      observer.disconnect();
    }
  });
});

const MiB = 1024 * 1024;
