/**
 * The lab rack's persistent state: one SQLite database (WAL) in the state folder holding the
 * rack's identity, each component's logical records, and the bookkeeping of exports and imports.
 *
 * Several processes share it: the server, and `lab-rack mutate|disaster|redeploy|break` run
 * beside it. Each change is one transaction, and an export reads inside one transaction, so an
 * export sees the rack at one instant however it is being changed (docs/rack-api.md §6).
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import Database from 'better-sqlite3';
import {
  COMPONENT_IDS,
  type ArtifactInfo,
  type ComponentId,
  type ComponentStatus,
  type Mode,
} from '../shared/rack-api.js';
import {
  ARTIFACTS,
  artifactSpec,
  type ArtifactSpec,
  type CaMaterial,
  type GenContext,
  type RackIdentity,
  type Scale,
} from './data.js';
import { ApiError, LabErrors } from './errors.js';
import { Malformed, frameable, separatorOf } from './framing.js';
import { changesOnMutate, planChange, type ChangePlan } from './mutation.js';
import { makeCaMaterial } from './pki.js';
import { Seeded } from './random.js';

const SCHEMA_VERSION = '1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS components (
  id TEXT PRIMARY KEY, ord INTEGER NOT NULL, mode TEXT NOT NULL, health TEXT NOT NULL,
  records INTEGER NOT NULL, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (component TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
  value BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS records_key ON records (component, kind, key);
CREATE TABLE IF NOT EXISTS counters (component TEXT NOT NULL, kind TEXT NOT NULL, next INTEGER NOT NULL,
  PRIMARY KEY (component, kind));
CREATE TABLE IF NOT EXISTS exports (id TEXT PRIMARY KEY, component TEXT NOT NULL, created TEXT NOT NULL,
  expires TEXT NOT NULL, digest TEXT NOT NULL, rack_version TEXT NOT NULL, artifacts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS imports (id TEXT PRIMARY KEY, component TEXT NOT NULL, state TEXT NOT NULL,
  created TEXT NOT NULL, failure TEXT);
CREATE TABLE IF NOT EXISTS import_artifacts (import_id TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,
  sha256 TEXT NOT NULL, PRIMARY KEY (import_id, name));
`;

export const EXPORT_LIFETIME_MS = 24 * 3_600_000;

export interface CreateOptions {
  readonly seed: number;
  readonly scale: Scale;
  readonly version: string;
}

export interface ExportRow {
  readonly id: string;
  readonly component: ComponentId;
  readonly created: string;
  readonly expires: string;
  readonly digest: string;
  readonly rackVersion: string;
  readonly artifacts: ArtifactInfo[];
}

export interface ImportRow {
  readonly id: string;
  readonly component: ComponentId;
  readonly state: 'open' | 'committed' | 'failed' | 'abandoned';
  readonly created: string;
  readonly failure: { code: string; message: string } | null;
}

/** What one `mutate` did: records regenerated in place, appended, and removed. */
export interface MutationCounts {
  readonly changed: number;
  readonly added: number;
  readonly deleted: number;
}

export interface ImportArtifactRow {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

/** A running SHA-256 over records in (kind, key) order: the logical state digest. */
class StateDigest {
  readonly #hash: Hash = createHash('sha256');
  records = 0;

  add(kind: string, key: string, value: Buffer): void {
    this.#hash.update(`${kind}\0${key}\0${value.length}\0`);
    this.#hash.update(value);
    this.#hash.update('\n');
    this.records++;
  }

  hex(): string {
    return this.#hash.digest('hex');
  }
}

/** Writes an artifact file through a 1 MiB buffer, hashing what it writes. */
class ArtifactWriter {
  readonly #fd: number;
  readonly #hash = createHash('sha256');
  readonly #buffer = Buffer.allocUnsafe(1 << 20);
  #used = 0;
  size = 0;

  constructor(path: string) {
    this.#fd = openSync(path, 'w', 0o600);
  }

  write(data: Buffer | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.#hash.update(bytes);
    this.size += bytes.length;
    if (this.#used + bytes.length > this.#buffer.length) this.#flush();
    if (bytes.length >= this.#buffer.length) writeSync(this.#fd, bytes);
    else {
      bytes.copy(this.#buffer, this.#used);
      this.#used += bytes.length;
    }
  }

  #flush(): void {
    if (this.#used > 0) writeSync(this.#fd, this.#buffer, 0, this.#used);
    this.#used = 0;
  }

  close(): string {
    this.#flush();
    closeSync(this.#fd);
    return this.#hash.digest('hex');
  }
}

export class RackStore {
  readonly db: Database.Database;
  readonly dir: string;

  private constructor(dir: string, db: Database.Database) {
    this.dir = dir;
    this.db = db;
  }

  static exists(dir: string): boolean {
    try {
      const db = new Database(join(dir, 'rack.sqlite'), { fileMustExist: true, readonly: true });
      const row = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as
        { value: string } | undefined;
      db.close();
      return row !== undefined;
    } catch {
      return false;
    }
  }

  /** Opens the rack in `dir`, creating it (and its data) when `create` is given and none exists. */
  static open(dir: string, create?: CreateOptions): RackStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const existed = RackStore.exists(dir);
    if (!existed && create === undefined) {
      throw LabErrors.create('LAB_NO_RACK', `There is no lab rack in ${dir}.`);
    }
    const db = new Database(join(dir, 'rack.sqlite'));
    // Commits of a large component hold the write lock for minutes; others wait rather than fail.
    db.pragma('busy_timeout = 300000');
    db.pragma('synchronous = NORMAL');
    if (!existed) {
      // Only a new rack touches the schema, so opening an existing one never needs the write
      // lock a running commit may hold (WAL mode is a property of the file from then on).
      db.pragma('journal_mode = WAL');
      db.exec(SCHEMA);
    }
    const store = new RackStore(dir, db);
    if (!existed && create !== undefined) store.#create(create);
    else if (store.meta('schema') !== SCHEMA_VERSION) {
      db.close();
      throw LabErrors.create(
        'LAB_STATE_DAMAGED',
        `${dir} holds lab rack state of schema ${store.meta('schema') ?? '?'}.`,
      );
    }
    return store;
  }

  close(): void {
    this.db.close();
  }

  // ------------------------------------------------------------------------------------------
  // Identity, modes, health

  meta(key: string): string | undefined {
    return (
      this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
        { value: string } | undefined
    )?.value;
  }

  #setMeta(key: string, value: string): void {
    this.db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  identity(): RackIdentity {
    return {
      stampId: this.meta('stampId') ?? '',
      region: this.meta('region') ?? '',
      externalDomain: this.meta('externalDomain') ?? '',
      version: this.meta('version') ?? '',
    };
  }

  destroyed(): boolean {
    return this.meta('destroyed') === '1';
  }

  rackMode(): Mode {
    return this.meta('mode') === 'recovery' ? 'recovery' : 'normal';
  }

  components(): ComponentStatus[] {
    const rows = this.db
      .prepare('SELECT id, ord, mode, health, records, size FROM components ORDER BY ord')
      .all() as {
      id: ComponentId;
      ord: number;
      mode: Mode;
      health: 'healthy' | 'degraded';
      records: number;
      size: number;
    }[];
    return rows.map((row) => ({
      id: row.id,
      order: row.ord,
      mode: row.mode,
      health: row.health,
      sizeBytes: row.size,
      records: row.records,
    }));
  }

  component(id: ComponentId): ComponentStatus {
    const found = this.components().find((component) => component.id === id);
    if (found === undefined) throw new ApiError('INTERNAL', `component ${id} has no state row`);
    return found;
  }

  setComponentMode(id: ComponentId, mode: Mode): ComponentStatus {
    this.db.prepare('UPDATE components SET mode = ? WHERE id = ?').run(mode, id);
    return this.component(id);
  }

  /** Ends a recovery: every component back to normal. */
  finishRecovery(): void {
    this.db.transaction(() => {
      this.db.prepare("UPDATE components SET mode = 'normal'").run();
      this.#setMeta('mode', 'normal');
    })();
  }

  #refreshStats(component: ComponentId): void {
    this.db
      .prepare(
        `UPDATE components SET records = (SELECT COUNT(*) FROM records WHERE component = @c),
           size = (SELECT COALESCE(SUM(LENGTH(value)), 0) FROM records WHERE component = @c) WHERE id = @c`,
      )
      .run({ c: component });
  }

  // ------------------------------------------------------------------------------------------
  // Creation and generation

  #create(options: CreateOptions): void {
    const rng = new Seeded(options.seed);
    this.db.transaction(() => {
      this.#setMeta('schema', SCHEMA_VERSION);
      this.#setMeta('seed', String(options.seed));
      this.#setMeta('scale', options.scale);
      this.#setMeta('version', options.version);
      this.#setMeta('stampId', rng.uuid('stamp', 0));
      this.#setMeta('region', 'local');
      this.#setMeta('externalDomain', `rack${rng.int('domain', 0, 10, 99)}.contoso.lab`);
      this.#setMeta('operator', 'cloudadmin');
      this.#setMeta('mutations', '0');
      COMPONENT_IDS.forEach((id, index) => {
        this.db
          .prepare(
            "INSERT INTO components (id, ord, mode, health, records, size) VALUES (?, ?, 'normal', 'healthy', 0, 0)",
          )
          .run(id, index + 1);
      });
    })();
    this.#generateAll();
  }

  #context(): GenContext {
    const rng = new Seeded(Number(this.meta('seed')));
    const rack = this.identity();
    let ca: CaMaterial | undefined;
    return {
      rng,
      scale: (this.meta('scale') ?? 'small') as Scale,
      rack,
      ca: () => (ca ??= makeCaMaterial(rng, rack)),
    };
  }

  #generateAll(): void {
    const ctx = this.#context();
    const insert = this.db.prepare(
      'INSERT INTO records (component, kind, key, value) VALUES (?, ?, ?, ?)',
    );
    const counter = this.db.prepare(
      'INSERT OR REPLACE INTO counters (component, kind, next) VALUES (?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const id of COMPONENT_IDS) {
        for (const spec of ARTIFACTS[id]) {
          const count = spec.count(ctx.scale);
          for (let i = 0; i < count; i++) {
            const value = spec.make(ctx, i, 0);
            insert.run(id, spec.name, spec.keyOf(value), Buffer.from(value));
          }
          counter.run(id, spec.name, count);
        }
        this.#refreshStats(id);
      }
      this.#setMeta('mode', 'normal');
      this.#setMeta('destroyed', '0');
    })();
  }

  // ------------------------------------------------------------------------------------------
  // Digests and exports

  #orderedRecords(component: ComponentId): IterableIterator<[string, string, Buffer]> {
    return this.db
      .prepare('SELECT kind, key, value FROM records WHERE component = ? ORDER BY kind, key')
      .raw(true)
      .iterate(component) as IterableIterator<[string, string, Buffer]>;
  }

  digest(component: ComponentId): { stateDigest: string; records: number } {
    const digest = new StateDigest();
    this.db.transaction(() => {
      for (const [kind, key, value] of this.#orderedRecords(component))
        digest.add(kind, key, value);
    })();
    return { stateDigest: digest.hex(), records: digest.records };
  }

  /**
   * Writes every artifact of the component into `dir` from one read transaction (one instant of
   * the rack), computing the state digest in the same pass, and records the export.
   */
  createExport(component: ComponentId, now: Date): ExportRow {
    const id = `exp-${randomBytes(16).toString('hex')}`;
    const dir = join(this.dir, 'exports', id);
    mkdirSync(dir, { recursive: true });
    const specs = ARTIFACTS[component];
    const digest = new StateDigest();
    const writers = new Map<string, ArtifactWriter>();
    const counts = new Map<string, number>();
    try {
      this.db.transaction(() => {
        for (const spec of specs) {
          const writer = new ArtifactWriter(join(dir, spec.name));
          writer.write(spec.header);
          writers.set(spec.name, writer);
        }
        for (const [kind, key, value] of this.#orderedRecords(component)) {
          digest.add(kind, key, value);
          const spec = artifactSpec(component, kind);
          const writer = writers.get(kind);
          if (spec === undefined || writer === undefined) continue;
          const seen = counts.get(kind) ?? 0;
          if (seen > 0) writer.write(separatorOf(spec.framing));
          writer.write(value);
          counts.set(kind, seen + 1);
        }
      })();
    } catch (error) {
      for (const writer of writers.values()) writer.close();
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    const artifacts = specs.map((spec): ArtifactInfo => {
      const writer = writers.get(spec.name) as ArtifactWriter;
      if ((counts.get(spec.name) ?? 0) > 0 && spec.framing !== 'document')
        writer.write(separatorOf(spec.framing).slice(0, 1));
      const sha256 = writer.close();
      return { name: spec.name, size: writer.size, sha256, mediaType: spec.mediaType };
    });
    const row: ExportRow = {
      id,
      component,
      created: now.toISOString(),
      expires: new Date(now.getTime() + EXPORT_LIFETIME_MS).toISOString(),
      digest: digest.hex(),
      rackVersion: this.identity().version,
      artifacts,
    };
    this.db
      .prepare(
        'INSERT INTO exports (id, component, created, expires, digest, rack_version, artifacts) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        row.id,
        row.component,
        row.created,
        row.expires,
        row.digest,
        row.rackVersion,
        JSON.stringify(row.artifacts),
      );
    return row;
  }

  getExport(id: string): ExportRow | undefined {
    const row = this.db.prepare('SELECT * FROM exports WHERE id = ?').get(id) as
      | {
          id: string;
          component: ComponentId;
          created: string;
          expires: string;
          digest: string;
          rack_version: string;
          artifacts: string;
        }
      | undefined;
    if (row === undefined) return undefined;
    return {
      ...row,
      rackVersion: row.rack_version,
      artifacts: JSON.parse(row.artifacts) as ArtifactInfo[],
    };
  }

  exportDir(id: string): string {
    return join(this.dir, 'exports', id);
  }

  deleteExport(id: string): boolean {
    const deleted = this.db.prepare('DELETE FROM exports WHERE id = ?').run(id).changes > 0;
    rmSync(this.exportDir(id), { recursive: true, force: true });
    return deleted;
  }

  /** Releases exports past their lifetime (called now and then by the server). */
  expireExports(now: Date): void {
    const old = this.db
      .prepare('SELECT id FROM exports WHERE expires < ?')
      .all(now.toISOString()) as { id: string }[];
    for (const { id } of old) this.deleteExport(id);
  }

  // ------------------------------------------------------------------------------------------
  // Imports

  createImport(component: ComponentId, now: Date): ImportRow {
    const row: ImportRow = {
      id: `imp-${randomBytes(16).toString('hex')}`,
      component,
      state: 'open',
      created: now.toISOString(),
      failure: null,
    };
    this.db
      .prepare(
        'INSERT INTO imports (id, component, state, created, failure) VALUES (?, ?, ?, ?, NULL)',
      )
      .run(row.id, row.component, row.state, row.created);
    mkdirSync(this.importDir(row.id), { recursive: true });
    return row;
  }

  getImport(id: string): ImportRow | undefined {
    const row = this.db.prepare('SELECT * FROM imports WHERE id = ?').get(id) as
      | {
          id: string;
          component: ComponentId;
          state: ImportRow['state'];
          created: string;
          failure: string | null;
        }
      | undefined;
    if (row === undefined) return undefined;
    return {
      ...row,
      failure: row.failure === null ? null : (JSON.parse(row.failure) as ImportRow['failure']),
    };
  }

  importDir(id: string): string {
    return join(this.dir, 'imports', id);
  }

  importArtifacts(id: string): ImportArtifactRow[] {
    return this.db
      .prepare('SELECT name, size, sha256 FROM import_artifacts WHERE import_id = ? ORDER BY name')
      .all(id) as ImportArtifactRow[];
  }

  declareImportArtifact(id: string, artifact: ImportArtifactRow): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO import_artifacts (import_id, name, size, sha256) VALUES (?, ?, ?, ?)',
      )
      .run(id, artifact.name, artifact.size, artifact.sha256);
  }

  forgetImportArtifact(id: string, name: string): void {
    this.db.prepare('DELETE FROM import_artifacts WHERE import_id = ? AND name = ?').run(id, name);
  }

  setImportState(
    id: string,
    state: ImportRow['state'],
    failure: ImportRow['failure'] = null,
  ): void {
    this.db
      .prepare('UPDATE imports SET state = ?, failure = ? WHERE id = ?')
      .run(state, failure === null ? null : JSON.stringify(failure), id);
    if (state !== 'open') rmSync(this.importDir(id), { recursive: true, force: true });
  }

  /**
   * Replaces the component's records by those in the artifact files, all or nothing: parse,
   * reference checks and the optional digest check run inside the transaction, and any failure
   * rolls it back, leaving the component as it was.
   */
  commitImport(
    component: ComponentId,
    files: ReadonlyMap<string, string>,
    expectedDigest?: string,
  ): { stateDigest: string; records: number } {
    const insert = this.db.prepare(
      'INSERT INTO records (component, kind, key, value) VALUES (?, ?, ?, ?)',
    );
    return this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM records WHERE component = ?').run(component);
        const refs = new Set<string>();
        for (const spec of ARTIFACTS[component]) {
          const path = files.get(spec.name) as string;
          try {
            forEachRecord(path, spec, (value, line) => {
              const key = spec.keyOf(value);
              for (const ref of spec.refsOf(value))
                refs.add(`${ref.component}\0${ref.kind}\0${ref.key}`);
              try {
                insert.run(component, spec.name, key, Buffer.from(value));
              } catch (error) {
                if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
                  throw new Malformed(`duplicate record ${key}`, line);
                throw error;
              }
            });
          } catch (error) {
            if (error instanceof Malformed) error.artifact ??= spec.name;
            throw error;
          }
        }
        this.#checkReferences(component, refs);
        const result = this.digest(component);
        if (expectedDigest !== undefined && result.stateDigest !== expectedDigest) {
          throw new ApiError(
            'STATE_DIGEST_MISMATCH',
            `The imported data of ${component} has state digest ${result.stateDigest}, not ${expectedDigest}; nothing was applied.`,
            {
              stateDigest: result.stateDigest,
            },
          );
        }
        this.db.prepare("UPDATE components SET health = 'healthy' WHERE id = ?").run(component);
        this.#refreshStats(component);
        return result;
      })
      .immediate();
  }

  #checkReferences(component: ComponentId, refs: ReadonlySet<string>): void {
    const exists = this.db
      .prepare('SELECT 1 FROM records WHERE component = ? AND kind = ? AND key = ?')
      .pluck();
    const missing = new Map<string, string[]>();
    for (const joined of refs) {
      const [target, kind, key] = joined.split('\0') as [string, string, string];
      if (exists.get(target, kind, key) !== undefined) continue;
      const examples = missing.get(target) ?? [];
      if (examples.length < 3) examples.push(`${kind} ${key}`);
      missing.set(target, examples);
    }
    if (missing.size === 0) return;
    const internal = missing.get(component);
    if (internal !== undefined) {
      throw new Malformed(`records refer to data absent from the import: ${internal.join('; ')}`);
    }
    const names = [...missing.keys()];
    const said = [...missing.entries()]
      .map(([target, examples]) => `${target} (e.g. ${examples.join('; ')})`)
      .join(', ');
    throw new ApiError(
      'DEPENDENCY_MISSING',
      `${component} refers to data that is not in this rack: ${said}. Restore ${names.join(' and ')} first.`,
      {
        missing: names,
      },
    );
  }

  // ------------------------------------------------------------------------------------------
  // Living, dying and redeploying

  /**
   * Changes about `percent`% of the records the way a living rack does (mutation.ts), in one
   * transaction so that an export sees the rack before or after it, never in between.
   */
  mutate(percent: number): MutationCounts {
    const ctx = this.#context();
    const mutation = Number(this.meta('mutations') ?? '0') + 1;
    const counts = { changed: 0, added: 0, deleted: 0 };
    this.db
      .transaction(() => {
        for (const id of COMPONENT_IDS) {
          for (const spec of ARTIFACTS[id].filter(changesOnMutate)) {
            const plan = planChange(
              spec,
              spec.count(ctx.scale),
              this.#nextIndex(spec, ctx.scale),
              percent,
              ctx.rng.unit(`mutate-hot-${id}-${spec.name}`, 0),
            );
            counts.deleted += this.#deleteRows(spec, plan.deletes);
            counts.changed += this.#touchHotRows(ctx, spec, plan, mutation);
            counts.added += this.#appendRows(ctx, spec, plan);
          }
          this.#refreshStats(id);
        }
        this.#setMeta('mutations', String(mutation));
      })
      .immediate();
    return counts;
  }

  /** The generation index the kind's next new record gets. */
  #nextIndex(spec: ArtifactSpec, scale: Scale): number {
    const next = this.db
      .prepare('SELECT next FROM counters WHERE component = ? AND kind = ?')
      .pluck()
      .get(spec.component, spec.name) as number | undefined;
    return next ?? spec.count(scale);
  }

  /** Removes the first `count` records in export order, so only the artifact's start changes. */
  #deleteRows(spec: ArtifactSpec, count: number): number {
    if (count === 0) return 0;
    return this.db
      .prepare(
        `DELETE FROM records WHERE rowid IN (SELECT rowid FROM records WHERE component = ? AND kind = ?
           ORDER BY key LIMIT ?)`,
      )
      .run(spec.component, spec.name, count).changes;
  }

  /** Regenerates the hot window's records at this mutation's version (gone ones stay gone). */
  #touchHotRows(ctx: GenContext, spec: ArtifactSpec, plan: ChangePlan, mutation: number): number {
    const update = this.db.prepare(
      'UPDATE records SET value = ? WHERE component = ? AND kind = ? AND key = ?',
    );
    let changed = 0;
    for (let index = plan.hotFrom; index < plan.hotFrom + plan.updates; index++) {
      const value = spec.make(ctx, index, mutation);
      changed += update.run(
        Buffer.from(value),
        spec.component,
        spec.name,
        spec.keyOf(value),
      ).changes;
    }
    return changed;
  }

  /**
   * Adds the plan's new records and moves the kind's counter past them. A record already there
   * (restored from a backup taken after earlier mutations) is the same record: it is kept.
   */
  #appendRows(ctx: GenContext, spec: ArtifactSpec, plan: ChangePlan): number {
    const insert = this.db.prepare(
      'INSERT INTO records (component, kind, key, value) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    let added = 0;
    const end = plan.appendFrom + plan.appends;
    for (let index = plan.appendFrom; index < end; index++) {
      const value = spec.make(ctx, index, 0);
      added += insert.run(spec.component, spec.name, spec.keyOf(value), Buffer.from(value)).changes;
    }
    this.db
      .prepare('INSERT OR REPLACE INTO counters (component, kind, next) VALUES (?, ?, ?)')
      .run(spec.component, spec.name, end);
    return added;
  }

  /** Damages one component: a tenth of its records vanish and it reports itself degraded. */
  breakComponent(id: ComponentId): { removed: number } {
    return this.db
      .transaction(() => {
        const documents = ARTIFACTS[id]
          .filter((spec) => spec.framing === 'document')
          .map((spec) => spec.name);
        const removed = this.db
          .prepare(
            `DELETE FROM records WHERE component = ? AND rowid % 10 = 3 AND kind NOT IN (${documents.map(() => '?').join(',') || "''"})`,
          )
          .run(id, ...documents).changes;
        this.db.prepare("UPDATE components SET health = 'degraded' WHERE id = ?").run(id);
        this.#refreshStats(id);
        return { removed };
      })
      .immediate();
  }

  #wipe(): void {
    this.db.exec(
      'DELETE FROM records; DELETE FROM exports; DELETE FROM imports; DELETE FROM import_artifacts; DELETE FROM counters;',
    );
    for (const id of COMPONENT_IDS) this.#refreshStats(id);
    rmSync(join(this.dir, 'exports'), { recursive: true, force: true });
    rmSync(join(this.dir, 'imports'), { recursive: true, force: true });
  }

  /** Destroys all infrastructure data: the rack answers 503 until it is redeployed. */
  disaster(): void {
    this.db
      .transaction(() => {
        this.#wipe();
        this.#setMeta('destroyed', '1');
      })
      .immediate();
  }

  /**
   * Redeploys the rack (same stamp, region, domain, credentials and TLS certificate): empty and
   * in recovery mode for a cloud recovery, or freshly generated from the seed otherwise.
   */
  redeploy(options: { recovery: boolean; version?: string }): void {
    this.db
      .transaction(() => {
        this.#wipe();
        if (options.version !== undefined) this.#setMeta('version', options.version);
        this.#setMeta('destroyed', '0');
        this.#setMeta('mutations', '0');
        const mode: Mode = options.recovery ? 'recovery' : 'normal';
        this.#setMeta('mode', mode);
        this.db.prepare("UPDATE components SET mode = ?, health = 'healthy'").run(mode);
      })
      .immediate();
    if (!options.recovery) this.#generateAll();
  }

  /** Every component's digest, for `lab-rack digest` and drills. */
  digests(): Record<ComponentId, string> {
    const out = {} as Record<ComponentId, string>;
    for (const id of COMPONENT_IDS) out[id] = this.digest(id).stateDigest;
    return out;
  }
}

/**
 * Reads an artifact file record by record without holding it all in memory, checking its
 * header and framing; `onRecord` gets each record's text and the line it starts on.
 */
export function forEachRecord(
  path: string,
  spec: ArtifactSpec,
  onRecord: (value: string, line: number) => void,
): void {
  const splitter = new RecordSplitter(spec, onRecord);
  const fd = openSync(path, 'r');
  try {
    const decoder = new StringDecoder('utf8');
    const chunk = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      splitter.push(decoder.write(chunk.subarray(0, read)));
    }
    splitter.push(decoder.end());
    splitter.end();
  } finally {
    closeSync(fd);
  }
}

const MAX_RECORD_CHARS = 64 << 20;

/** Cuts decoded text into records as it arrives (docs/rack-api.md §10 framings). */
class RecordSplitter {
  #pending = '';
  #headerSeen: boolean;
  #line: number;
  readonly #separator: string;

  constructor(
    private readonly spec: ArtifactSpec,
    private readonly onRecord: (value: string, line: number) => void,
  ) {
    this.#headerSeen = spec.framing === 'document';
    this.#line = spec.framing === 'document' ? 1 : spec.header.split('\n').length;
    this.#separator = separatorOf(spec.framing);
  }

  push(text: string): void {
    this.#pending += text;
    if (!this.#headerSeen) {
      if (this.#pending.length < this.spec.header.length) return;
      if (!this.#pending.startsWith(this.spec.header)) {
        throw new Malformed('the artifact does not start with the expected header', 1);
      }
      this.#pending = this.#pending.slice(this.spec.header.length);
      this.#headerSeen = true;
    }
    if (this.spec.framing === 'document') {
      if (this.#pending.length > MAX_RECORD_CHARS)
        throw new Malformed('the document is larger than 64 MiB');
      return;
    }
    let from = 0;
    for (
      let at = this.#pending.indexOf(this.#separator);
      at >= 0;
      at = this.#pending.indexOf(this.#separator, from)
    ) {
      this.#emit(this.#pending.slice(from, at));
      from = at + this.#separator.length;
    }
    this.#pending = this.#pending.slice(from);
    if (this.#pending.length > MAX_RECORD_CHARS)
      throw new Malformed('a record is larger than 64 MiB', this.#line);
  }

  end(): void {
    if (!this.#headerSeen) throw new Malformed('the artifact is shorter than its header', 1);
    const rest = this.#pending;
    if (this.spec.framing === 'document') {
      if (rest !== '') this.#emit(rest);
    } else if (this.spec.framing === 'blocks' && rest !== '') {
      if (!rest.endsWith('\n'))
        throw new Malformed('the artifact does not end with a newline', this.#line);
      this.#emit(rest.slice(0, -1));
    } else if (rest !== '')
      throw new Malformed('the last line does not end with a newline', this.#line);
  }

  #emit(value: string): void {
    if (value.includes('\uFFFD')) throw new Malformed('a record is not UTF-8 text', this.#line);
    if (!frameable(this.spec.framing, value))
      throw new Malformed('an empty or badly separated record', this.#line);
    try {
      this.onRecord(value, this.#line);
    } catch (error) {
      if (error instanceof Malformed && error.line === undefined)
        throw new Malformed(error.message, this.#line);
      throw error;
    }
    let newlines = 0;
    for (let at = value.indexOf('\n'); at >= 0; at = value.indexOf('\n', at + 1)) newlines++;
    this.#line += newlines + Math.max(1, this.#separator.length);
  }
}
