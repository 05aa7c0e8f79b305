/**
 * Benchmark section "lab-rack": how fast the lab rack makes its data and streams exports over
 * loopback HTTPS to Lifeboat's rack client, which checks every byte's SHA-256 as a backup does.
 * Target: at least 500 MB/s of export streaming, so the rack is never a backup's bottleneck.
 *
 *     node --import tsx bench/lab-rack.ts [--scale small|medium|large]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { get } from 'node:https';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { COMPONENT_IDS, RackClient, type ExportResponse } from '../electron/rack/index.js';
import { startLabRack, type LabRack } from '../test/helpers/lab-rack.js';

export interface LabRackBenchOptions {
  readonly scale?: 'small' | 'medium' | 'large';
}

export interface LabRackMeasure {
  readonly label: string;
  readonly bytes: number;
  readonly seconds: number;
  /** CPU seconds the serving and the receiving process spent, when measured. */
  readonly serverCpu?: number;
  readonly clientCpu?: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function processCpu(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Times `work` and the CPU both ends spend on it. On a busy machine wall-clock rates fall with
 * the load; bytes per CPU-second of the busier end do not, so both are printed.
 */
async function measured(
  label: string,
  serverPid: number,
  work: () => Promise<number>,
): Promise<LabRackMeasure> {
  const server = processCpu(serverPid);
  const client = process.cpuUsage();
  const { value, seconds } = await timed(work);
  const serverAfter = processCpu(serverPid);
  const used = process.cpuUsage(client);
  return {
    label,
    bytes: value,
    seconds,
    clientCpu: (used.user + used.system) / 1e6,
    ...(server === undefined || serverAfter === undefined
      ? {}
      : { serverCpu: serverAfter - server }),
  };
}

const MB = 1e6;

async function drain(client: RackClient, exported: ExportResponse, name: string): Promise<number> {
  const artifact = exported.artifacts.find((candidate) => candidate.name === name);
  let bytes = 0;
  const stream = client.downloadArtifact(exported.exportId, name, {
    ...(artifact === undefined ? {} : { size: artifact.size, sha256: artifact.sha256 }),
  });
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

async function measureRack(rack: LabRack, measures: LabRackMeasure[]): Promise<void> {
  const client = await RackClient.connect({ ...rack, password: rack.password });
  try {
    const exports = await timed(async () => {
      const out: ExportResponse[] = [];
      for (const component of COMPONENT_IDS) out.push(await client.startExport(component));
      return out;
    });
    const total = exports.value.reduce(
      (sum, exported) => sum + exported.artifacts.reduce((s, a) => s + a.size, 0),
      0,
    );
    measures.push({
      label: 'export snapshots (10 components)',
      bytes: total,
      seconds: exports.seconds,
    });

    measures.push(
      await measured('stream all artifacts, one at a time, SHA-256 checked', rack.pid, async () => {
        let bytes = 0;
        for (const exported of exports.value) {
          for (const artifact of exported.artifacts) {
            bytes += await drain(client, exported, artifact.name);
          }
        }
        return bytes;
      }),
    );
    const largest = exports.value
      .flatMap((exported) => exported.artifacts.map((artifact) => ({ exported, artifact })))
      .sort((a, b) => b.artifact.size - a.artifact.size)[0];
    if (largest !== undefined) {
      measures.push(
        await measured(`stream ${largest.artifact.name} x4 in parallel`, rack.pid, async () => {
          const counts = await Promise.all(
            [0, 1, 2, 3].map(() => drain(client, largest.exported, largest.artifact.name)),
          );
          return counts.reduce((sum, count) => sum + count, 0);
        }),
      );
    }
    for (const exported of exports.value) await client.deleteExport(exported.exportId);
  } finally {
    client.close();
  }
}

/**
 * The ceiling on this machine at this moment: a bare Node HTTPS server in its own process
 * sending the same number of bytes to a bare client that hashes them. The lab rack's figure is
 * read against it, since the machine's load moves both.
 */
const BARE_SERVER = `
import https from 'node:https';
import { readFileSync } from 'node:fs';
const [certFile, keyFile, total] = process.argv.slice(1);
const block = Buffer.alloc(1 << 20, 7);
const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  let left = Number(total);
  res.writeHead(200, { 'content-length': left });
  const pump = () => {
    while (left > 0) {
      const piece = block.subarray(0, Math.min(block.length, left));
      left -= piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}).listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function bareHttps(rack: LabRack, bytes: number): Promise<LabRackMeasure> {
  const tls = join(rack.stateDir, 'tls');
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      BARE_SERVER,
      join(tls, 'cert.pem'),
      join(tls, 'key.pem'),
      String(bytes),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
      child.once('error', reject);
    });
    return await measured(
      'baseline: bare Node HTTPS, same bytes, SHA-256 checked',
      child.pid ?? -1,
      () =>
        new Promise<number>((resolve, reject) => {
          const hash = createHash('sha256');
          let received = 0;
          get({ host: '127.0.0.1', port, rejectUnauthorized: false }, (res) => {
            res.on('data', (chunk: Buffer) => {
              received += chunk.length;
              hash.update(chunk);
            });
            res.on('end', () => resolve(received));
          }).once('error', reject);
        }),
    );
  } finally {
    child.kill();
  }
}

export async function run(options: LabRackBenchOptions = {}): Promise<LabRackMeasure[]> {
  const scale = options.scale ?? 'medium';
  const measures: LabRackMeasure[] = [];
  const started = performance.now();
  const rack = await startLabRack({ scale });
  const seconds = (performance.now() - started) / 1000;
  try {
    const info = await RackClient.connect({ ...rack, password: rack.password }).then(async (c) => {
      try {
        return await c.info();
      } finally {
        c.close();
      }
    });
    const size = info.components.reduce((sum, component) => sum + component.sizeBytes, 0);
    measures.push({
      label: `create a ${scale} rack (start, generate, certificates)`,
      bytes: size,
      seconds,
    });
    await measureRack(rack, measures);
    measures.push(await bareHttps(rack, size));
  } finally {
    await rack.stop();
  }
  printTable(scale, measures);
  return measures;
}

function printTable(scale: string, measures: readonly LabRackMeasure[]): void {
  console.log(`\n## lab-rack (${scale}; loopback HTTPS; target: streaming >= 500 MB/s)\n`);
  console.log('MB/s per CPU: bytes over the CPU seconds of the busier end (server or client),');
  console.log('the rate with a core each and no other load.\n');
  console.log('| measure | MB | seconds | MB/s | server CPU s | client CPU s | MB/s per CPU |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const m of measures) {
    const rate = m.seconds > 0 ? m.bytes / MB / m.seconds : 0;
    const busier = Math.max(m.serverCpu ?? 0, m.clientCpu ?? 0);
    const cells = [
      m.label,
      (m.bytes / MB).toFixed(1),
      m.seconds.toFixed(2),
      rate.toFixed(0),
      m.serverCpu?.toFixed(2) ?? '',
      m.clientCpu?.toFixed(2) ?? '',
      busier > 0 ? (m.bytes / MB / busier).toFixed(0) : '',
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

if (process.argv[1] !== undefined && new URL(import.meta.url).pathname === process.argv[1]) {
  const { values } = parseArgs({ options: { scale: { type: 'string' } } });
  const scale = values.scale as LabRackBenchOptions['scale'];
  await run(scale === undefined ? {} : { scale });
}
