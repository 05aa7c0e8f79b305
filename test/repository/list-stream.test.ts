import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ListRef } from '../../electron/repository/artifact-list.js';
import { ListStream, type StartIngest } from '../../electron/repository/list-stream.js';
import type { LastList, ListLine } from '../../electron/repository/types.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const lineOf = (name: string) => `{"name":"${name}","size":1}\n`;

/** A last list of `names`, read back in chunks of three lines, counting its readings. */
function lastListOf(names: readonly string[]): LastList & { readings: number } {
  const text = names.map(lineOf).join('');
  const ref: ListRef = {
    count: names.length,
    size: text.length,
    sha256: sha256(text),
    chunks: [[sha256(`chunk of ${text}`), text.length]],
  };
  const last = {
    ref,
    readings: 0,
    async *lines(): AsyncGenerator<ListLine[]> {
      last.readings++;
      for (let i = 0; i < names.length; i += 3) {
        yield names.slice(i, i + 3).map((name, k) => ({ name, line: lineOf(name), index: i + k }));
      }
    },
  };
  return last;
}

/** An ingest that keeps the text it is given, as the worker would store it. */
function recordingIngest(): StartIngest & { started: number; text: string } {
  const ingest = Object.assign(
    async (pieces: AsyncIterable<string>) => {
      ingest.started++;
      for await (const piece of pieces) ingest.text += piece;
      return { size: ingest.text.length, sha256: sha256(ingest.text), chunks: [] };
    },
    { started: 0, text: '' },
  );
  return ingest;
}

/** Adds each name: copied from the last list (at its place there) or as a new line. */
async function addAll(list: ListStream, names: readonly string[], last: readonly string[]) {
  for (const name of names) {
    const at = last.indexOf(name);
    const copied = at >= 0 && !name.endsWith('*');
    await list.add(name, 1, lineOf(name), copied ? at : undefined, 1000);
  }
}

describe('a list written against the last one (pure)', () => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

  it('is the last list itself when every line is copied in order: nothing is written', async () => {
    const last = lastListOf(names);
    const ingest = recordingIngest();
    const list = new ListStream('files', ingest, last);
    await addAll(list, names, names);
    await expect(list.end()).resolves.toEqual(last.ref);
    expect(ingest.started).toBe(0);
    expect(last.readings).toBe(0);
    expect(list.records).toBe(7);
  });

  it('is written whole from the first difference, the copied lines read again', async () => {
    const cases: [string, string[]][] = [
      ['a changed file', ['a', 'b', 'c', 'd', 'e*', 'f', 'g']],
      ['a new file', ['a', 'b', 'c', 'c2', 'd', 'e', 'f', 'g']],
      ['a removed file', ['a', 'b', 'c', 'd', 'f', 'g']],
      ['files removed at the end', ['a', 'b', 'c', 'd']],
      ['a first line changed', ['a*', 'b', 'c']],
    ];
    for (const [why, now] of cases) {
      const last = lastListOf(names);
      const ingest = recordingIngest();
      const list = new ListStream('files', ingest, last);
      await addAll(list, now, names);
      const written = await list.end();
      expect(ingest.text, why).toBe(now.map(lineOf).join(''));
      expect(written, why).toMatchObject({ count: now.length, sha256: sha256(ingest.text) });
      expect(ingest.started, why).toBe(1);
    }
  });

  it('fails the backup if the last list no longer gives back the lines it copied', async () => {
    const last = lastListOf(names);
    const shorter = { ref: last.ref, lines: lastListOf(['a', 'b']).lines };
    const list = new ListStream('files', recordingIngest(), shorter);
    await addAll(list, ['a', 'b', 'c'], names);
    await expect(list.add('c2', 1, lineOf('c2'), undefined, 1000)).rejects.toMatchObject({
      code: 'REPO_DAMAGED',
    });
  });

  it('reads lines copied without their text from the last list, once it has to be written', async () => {
    const last = lastListOf(names);
    const ingest = recordingIngest();
    const list = new ListStream('files', ingest, last);
    // As compared with a summary: copied lines come without text, then one differs.
    for (const [at, name] of ['a', 'b', 'c'].entries()) await list.add(name, 1, undefined, at, 1);
    expect(last.readings).toBe(0);
    await list.add('c2', 1, lineOf('c2'), undefined, 1);
    for (const [at, name] of ['d', 'e', 'f', 'g'].entries()) {
      await list.add(name, 1, undefined, at + 3, 1);
    }
    await list.end();
    expect(ingest.text).toBe(['a', 'b', 'c', 'c2', 'd', 'e', 'f', 'g'].map(lineOf).join(''));
    expect(last.readings).toBe(1); // one pass forward
  });

  it('fails the backup if a line copied without its text is not where the summary said', async () => {
    const list = new ListStream('files', recordingIngest(), lastListOf(names));
    await list.add('a', 1, undefined, 0, 1);
    await list.add('a2', 1, lineOf('a2'), undefined, 1);
    // Found at once (the line is at hand) or after a read: thrown or rejected, the same failure.
    await expect(
      Promise.resolve().then(() => list.add('b', 1, undefined, 2, 1)),
    ).rejects.toMatchObject({
      code: 'REPO_DAMAGED',
    });
  });

  it('without a last list, writes every line as it comes', async () => {
    const ingest = recordingIngest();
    const list = new ListStream('files', ingest);
    await addAll(list, ['x', 'y'], []);
    const written = await list.end();
    expect(ingest.text).toBe(lineOf('x') + lineOf('y'));
    expect(written).toMatchObject({ count: 2, sha256: sha256(ingest.text) });
  });
});
