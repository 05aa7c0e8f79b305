import { describe, expect, it } from 'vitest';
import { formatKey } from '../../electron/controller/keys.js';
import { generateOperatorKey, parseOperatorKey } from '../../electron/repository/index.js';

describe('operator key forms', () => {
  it('reads the key exactly as `lifeboat key new` prints it, and as plain base64', () => {
    const key = generateOperatorKey();
    const printed = formatKey(key);
    expect(printed).toContain('-');
    expect(parseOperatorKey(Buffer.from(`${printed}\n`)).equals(key)).toBe(true);
    expect(parseOperatorKey(Buffer.from(printed.replace(/-/g, ' '))).equals(key)).toBe(true);
    expect(parseOperatorKey(Buffer.from(key.toString('base64'))).equals(key)).toBe(true);
  });

  it('still refuses anything that is not 32 bytes of standard base64', () => {
    const key = generateOperatorKey();
    const urlSafe = key.toString('base64url');
    expect(() => parseOperatorKey(Buffer.from(urlSafe.replace(/[-_]/g, 'A')))).toThrow(
      /not 32 bytes/,
    );
    expect(() => parseOperatorKey(Buffer.from(key.toString('base64').slice(4)))).toThrow(
      /not 32 bytes/,
    );
  });
});
