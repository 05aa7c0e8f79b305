import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatRate,
  formatRelative,
  percent,
} from '../../renderer/src/lib/format.js';
import { describeProgress } from '../../renderer/src/lib/progress.js';

describe('formatBytes', () => {
  it('uses binary units with sensible precision', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(15 * 1024 * 1024)).toBe('15.0 MiB');
    expect(formatBytes(250 * 1024 ** 3)).toBe('250 GiB');
    expect(formatBytes(3 * 1024 ** 5)).toBe('3.00 PiB');
  });
  it('refuses nonsense instead of printing it', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
    expect(formatRate(0)).toBe('—');
    expect(formatRate(2048)).toBe('2.00 KiB/s');
  });
});

describe('formatDuration', () => {
  it('shows at most the two largest units', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(60)).toBe('1 min');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(3600)).toBe('1 h');
    expect(formatDuration(3725)).toBe('1 h 2 min');
    expect(formatDuration(86_400 + 3_600 * 5 + 59)).toBe('1 d 5 h');
    expect(formatDuration(86_400 + 59)).toBe('1 d');
    expect(formatDuration(-5)).toBe('—');
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it('says ago for the past and in for the future', () => {
    expect(formatRelative(now - 3 * 3600_000, now)).toBe('3 h ago');
    expect(formatRelative(now + 90 * 60_000, now)).toBe('in 1 h 30 min');
    expect(formatRelative(now - 10_000, now)).toBe('just now');
  });
});

describe('percent and progress text', () => {
  it('clamps and handles an unknown total', () => {
    expect(percent(50, 200)).toBe(25);
    expect(percent(300, 200)).toBe(100);
    expect(percent(5, 0)).toBe(0);
  });
  it('describes bytes, rate and time left, leaving out what is unknown', () => {
    expect(
      describeProgress({
        bytesDone: 12 * 1024 ** 2,
        bytesTotal: 40 * 1024 ** 2,
        bytesPerSecond: 5 * 1024 ** 2,
        etaSeconds: 6,
      }),
    ).toBe('12.0 MiB of 40.0 MiB · 5.00 MiB/s · 6 s left');
    expect(
      describeProgress({
        bytesDone: 1024,
        bytesTotal: null,
        bytesPerSecond: null,
        etaSeconds: null,
      }),
    ).toBe('1.00 KiB');
  });
});
