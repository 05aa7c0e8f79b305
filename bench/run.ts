/**
 * Runs the benchmark sections (`npm run bench`), each isolated: one failing section is reported
 * and the others still run. Timing targets live here, never in tests.
 *
 *     npm run bench -- [--only NAME[,NAME]] [--size 2GiB] [--scale medium] [--list]
 */
import { parseArgs } from 'node:util';
import { parseSize } from './framework.js';
import { SECTIONS, type SectionOptions } from './sections.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    size: { type: 'string' },
    scale: { type: 'string' },
    list: { type: 'boolean' },
  },
});

if (values.list === true) {
  for (const section of SECTIONS) console.log(`${section.name.padEnd(12)} ${section.summary}`);
  process.exit(0);
}

const wanted = values.only?.split(',').map((name) => name.trim());
const unknown = wanted?.filter((name) => !SECTIONS.some((section) => section.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown section(s): ${unknown.join(', ')}; run with --list`);
  process.exit(2);
}
const scale = values.scale as SectionOptions['scale'];
if (scale !== undefined && !['small', 'medium', 'large'].includes(scale)) {
  console.error('--scale is small, medium or large');
  process.exit(2);
}
const options: SectionOptions = {
  ...(values.size !== undefined ? { size: parseSize(values.size) } : {}),
  ...(scale !== undefined ? { scale } : {}),
};

let failed = 0;
for (const section of SECTIONS.filter((s) => wanted === undefined || wanted.includes(s.name))) {
  const started = performance.now();
  try {
    await (
      await section.load()
    )(options);
    console.log(`\n(${section.name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed++;
    console.error(`\n!! section ${section.name} failed:`, error);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
