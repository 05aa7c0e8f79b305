import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES_DOC, renderErrorCodes } from '../../scripts/error-codes.js';

describe('docs/error-codes.md', () => {
  it('lists every error code the code declares, with its hint', async () => {
    const rendered = await renderErrorCodes();
    const onDisk = await readFile(ERROR_CODES_DOC, 'utf8');
    // When this fails: run `node --import tsx scripts/error-codes.ts` and commit the result.
    expect(onDisk).toBe(rendered);
    expect(rendered).toMatch(/\| `REPO_[A-Z_]+` \|/);
    expect(rendered).toMatch(/\| `RACK_[A-Z_]+` \|/);
  });
});
