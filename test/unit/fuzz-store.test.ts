/**
 * Fuzzing the embedded store's own files (manifest.json, records-<gen>.jsonl, vectors-<gen>.f32, seen/*.txt):
 * a real store is built once (appends, a rewrite, seen sets), then each case copies it, damages one file and
 * opens it. Opening must refuse with a VectorTuneError naming a file of the store, or open a store whose
 * records and vectors are the ones written: a damaged file may lose what it touched, never turn it into
 * something else unannounced. A changed byte that leaves the format valid (inside a vector, or an id) is caught
 * by the CRC-32 the manifest keeps of the committed bytes of both data files: no damage may open unannounced. (The
 * store opens from its search cache without reading the vectors file: a changed row is refused when it is read, which
 * `contents` does for every row.) Damage to the search cache (search-<gen>.*) is never an error: the store rebuilds it
 * and holds and answers exactly what it did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { manifestText, STORE_VERSION, type StoreManifest } from '../../src/core/store/manifest';
import type { VectorRecord } from '../../src/core/store/types';
import { sha256 } from '../../src/core/util/hash';
import { applyDamage, damageArb, type Damage } from '../helpers/fuzz-bytes';
import { CaseTally, outcome } from '../helpers/fuzz-check';
import { type Json, jsonMutationArb, mutateJson } from '../helpers/fuzz-json';
import { seededRecords } from '../helpers/store-reference';
import { tempDir } from '../helpers/temp';

const tally = new CaseTally();
test.after(() => {
  tally.print();
});

const D = 8;
const HEADS = ['h', 'ünï/x'];
type Snapshot = Map<string, Buffer>;

/** What was written: every record by id, and each head's seen ids. */
interface Written {
  records: Map<string, VectorRecord>;
  seen: Map<string, Set<string>>;
  files: Snapshot;
}

/** A store as a user's would be: two appends, a rewrite (generation 1), another append, two heads' seen sets. */
async function buildStore(dir: string): Promise<Written> {
  const all = seededRecords(19, D, 7, 'r');
  const store = await EmbeddedStore.openOrCreate(dir, { modelId: 'test-model', dimension: D });
  await store.upsert(all.slice(0, 10));
  await store.upsert(all.slice(10, 16));
  await store.delete(['r3', 'r12']);
  await store.upsert(all.slice(16));
  await store.markSeen('h', ['r0', 'r1', 'r17']);
  await store.markSeen('h', ['r5']);
  await store.markSeen('ünï/x', ['r2']);
  await store.close();
  const files: Snapshot = new Map();
  for (const name of await fs.readdir(dir, { recursive: true })) {
    const file = path.join(dir, name);
    if ((await fs.stat(file)).isFile()) files.set(name, await fs.readFile(file));
  }
  const kept = all.filter((r) => r.id !== 'r3' && r.id !== 'r12');
  return {
    records: new Map(kept.map((r) => [r.id, r])),
    seen: new Map([
      ['h', new Set(['r0', 'r1', 'r17', 'r5'])],
      ['ünï/x', new Set(['r2'])],
    ]),
    files,
  };
}

const fileNamed = (files: Snapshot, pattern: RegExp) => [...files.keys()].find((n) => pattern.test(n))!;

/** What an opened store holds: each record with its vector, the seen ids per head, and a query's ids. */
async function contents(store: EmbeddedStore) {
  const ids: string[] = [];
  for await (const id of store.ids()) ids.push(id);
  const fetched = await store.fetch(ids);
  const seen = new Map<string, number>();
  for (const head of HEADS) seen.set(head, await store.seenCount(head));
  const query = Float32Array.from({ length: D }, (_, i) => (i % 3) - 1);
  const hits = await store.query(query, { k: ids.length, ranking: { kind: 'top' }, unseenBy: 'h' });
  const seenByH = new Set(ids.filter((id) => !hits.some((hit) => hit.id === id)));
  return { ids, fetched, seen, hits, seenByH, info: { ...store.info } };
}

/** Writes the snapshot with `edit` applied into a fresh folder, opens it, and returns what it holds. */
async function openEdited(root: string, n: number, files: Snapshot, edit: (files: Snapshot) => void) {
  const dir = path.join(root, `case-${n}`);
  const copy = new Map(files);
  edit(copy);
  await fs.mkdir(path.join(dir, 'seen'), { recursive: true });
  for (const [name, bytes] of copy) await fs.writeFile(path.join(dir, name), bytes);
  const result = await openAndRead(dir);
  await fs.rm(dir, { recursive: true });
  return result;
}

/** Opens the store in `dir` and reads everything: what it holds, or the VectorTuneError it refused with. */
function openAndRead(dir: string) {
  return outcome(async () => {
    const store = await EmbeddedStore.open(dir);
    try {
      return await contents(store);
    } finally {
      await store.close();
    }
  }, dir);
}

type Contents = Awaited<ReturnType<typeof contents>>;

/** Every record the store returns is one that was written, with its own path and vector, bit for bit. */
function assertFaithful(got: Contents, written: Written, exceptIds: Set<string> = new Set()): void {
  assert.equal(new Set(got.ids).size, got.ids.length, 'ids are unique');
  for (const r of got.fetched) {
    if (exceptIds.has(r.id)) continue;
    const original = written.records.get(r.id);
    assert.ok(original, `record ${JSON.stringify(r.id)} was never written`);
    assert.equal(r.path, original.path, r.id);
    assert.deepEqual(
      new Uint32Array(r.vector.buffer, r.vector.byteOffset, D),
      new Uint32Array(original.vector.buffer, original.vector.byteOffset, D),
      `vector of ${r.id}`,
    );
  }
  for (const hit of got.hits) assert.ok(got.ids.includes(hit.id) && Number.isFinite(hit.dot));
}

let shared: { root: string; written: Written } | undefined;
async function setup(t: Parameters<typeof tempDir>[0]) {
  if (!shared) {
    const root = await tempDir({ after: () => undefined }, 'vt-fuzz-store-');
    shared = { root, written: await buildStore(path.join(root, 'base')) };
  }
  const caseRoot = await tempDir(t, 'vt-fuzz-store-cases-');
  return { caseRoot, written: shared.written };
}
test.after(async () => shared && fs.rm(shared.root, { recursive: true, force: true }));

test('the base store opens with what was written (the fuzz cases below start from it)', async (t) => {
  const { caseRoot, written } = await setup(t);
  const result = await openEdited(caseRoot, 0, written.files, () => undefined);
  assert.ok(result.ok);
  assert.deepEqual(result.value.ids.sort(), [...written.records.keys()].sort());
  assertFaithful(result.value, written);
  assert.deepEqual(
    [...result.value.seen],
    [
      ['h', 4],
      ['ünï/x', 1],
    ],
  );
});

test('fuzz: a damaged manifest is refused, or read as exactly what it said', async (t) => {
  const { caseRoot, written } = await setup(t);
  const name = fileNamed(written.files, /^manifest\.json$/);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(damageArb, async (damage) => {
      const result = await openEdited(caseRoot, n++, written.files, (files) =>
        files.set(name, Buffer.from(applyDamage(files.get(name)!, damage))),
      );
      tally.note('store manifest.json bytes', result);
      if (result.ok) {
        assertFaithful(result.value, written);
        assert.equal(result.value.ids.length, written.records.size, 'a manifest read as valid holds every record');
        assert.deepEqual(
          result.value.info,
          { modelId: 'test-model', dimension: D, centringMean: null },
          'and names the same model',
        );
      }
    }),
    { seed: 0x6d616e, numRuns: 250, includeErrorInReport: true },
  );
});

test('fuzz: a manifest with fields of the wrong type or range (checksum intact, as a buggy writer leaves it) never crashes the store', async (t) => {
  const { caseRoot, written } = await setup(t);
  const name = fileNamed(written.files, /^manifest\.json$/);
  const original = JSON.parse(written.files.get(name)!.toString('utf8'));
  let n = 0;
  await fc.assert(
    fc.asyncProperty(jsonMutationArb, async (m) => {
      const { identitySha256: _, ...fields } = original;
      const mutated = mutateJson(fields as Json, m).doc;
      const resealed =
        mutated && typeof mutated === 'object' && !Array.isArray(mutated)
          ? manifestText(mutated as unknown as StoreManifest)
          : JSON.stringify(mutated);
      const result = await openEdited(caseRoot, n++, written.files, (files) => files.set(name, Buffer.from(resealed)));
      tally.note('store manifest.json fields', result);
      const isWhole = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
      const m2 = mutated as Record<string, unknown> | null;
      const typesOk =
        !!m2 &&
        typeof m2 === 'object' &&
        !Array.isArray(m2) &&
        m2.format === 'vector-tune-store' &&
        m2.version === 1 &&
        typeof m2.modelId === 'string' &&
        m2.modelId !== '' &&
        isWhole(m2.dimension) &&
        m2.dimension !== 0 &&
        isWhole(m2.count) &&
        isWhole(m2.recordsBytes) &&
        isWhole(m2.generation);
      if (!typesOk) assert.ok(!result.ok, `should refuse ${JSON.stringify(mutated)}`);
    }),
    { seed: 0x666c64, numRuns: 200, includeErrorInReport: true },
  );
});

/** The rows (of `rows`, row r spanning the bytes rowBytes(r) = [from, to)) that damage at byte `at` reaches. */
function rowsTouched(d: Damage, at: number, rowBytes: (row: number) => [number, number], rows: number): number[] {
  const end = at + (d.kind === 'zero' || d.kind === 'delete' ? d.length : 1);
  const shifts = d.kind === 'insert' || d.kind === 'delete' || d.kind === 'cut'; // moves or drops every later byte
  return Array.from({ length: rows }, (_, r) => r).filter((r) => {
    const [from, to] = rowBytes(r);
    return shifts ? to > at : from < end && to > at;
  });
}

/** Line r of a text file, with the newline before it: damage to that newline merges the line into the previous one. */
function lineBytes(bytes: Buffer): (r: number) => [number, number] {
  const starts = [0, ...[...bytes.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i + 1)];
  return (r) => [starts[r] - 1, starts[r + 1]];
}

test('fuzz: damage to the records file is refused, or confined to the records it touched', async (t) => {
  const { caseRoot, written } = await setup(t);
  const name = fileNamed(written.files, /^records-\d+\.jsonl$/);
  const bytes = written.files.get(name)!;
  const idOfLine = bytes
    .toString('utf8')
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l).id as string);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(damageArb, async (damage) => {
      const damaged = applyDamage(bytes, damage);
      if (Buffer.compare(damaged, bytes) === 0) return;
      const result = await openEdited(caseRoot, n++, written.files, (files) => files.set(name, Buffer.from(damaged)));
      tally.note('store records-<gen>.jsonl', result);
      if (!result.ok) return;
      const touched = rowsTouched(damage, damage.at % bytes.length, lineBytes(bytes), idOfLine.length);
      const untouched = idOfLine.filter((_, r) => !touched.includes(r));
      assert.ok(
        untouched.every((id) => result.value.ids.includes(id)),
        'records on untouched lines are all there',
      );
      const renamed = result.value.ids.filter((id) => !written.records.has(id));
      assertFaithful(result.value, written, new Set([...renamed, ...touched.map((r) => idOfLine[r])]));
      assert.ok(
        !(renamed.length > 0 || result.value.fetched.some((r) => r.path !== written.records.get(r.id)?.path)),
        'a damage that changed an id or path opened without an error',
      );
    }),
    { seed: 0x726563, numRuns: 300, includeErrorInReport: true },
  );
});

test('fuzz: damage to the vectors file is refused, or confined to the rows it touched; past the committed rows it changes nothing', async (t) => {
  const { caseRoot, written } = await setup(t);
  const name = fileNamed(written.files, /^vectors-\d+\.f32$/);
  const bytes = written.files.get(name)!;
  const rowIds = (
    await fs.readFile(path.join(shared!.root, 'base', fileNamed(written.files, /^records-\d+\.jsonl$/)), 'utf8')
  )
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l).id as string);
  const tail = fc.uint8Array({ minLength: 1, maxLength: 3 * D * 4 });
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.oneof(damageArb, tail), async (damage) => {
      const killedAppend = damage instanceof Uint8Array; // an append cut by a kill: bytes past the committed rows
      const damaged = killedAppend ? Buffer.concat([bytes, damage]) : Buffer.from(applyDamage(bytes, damage));
      const result = await openEdited(caseRoot, n++, written.files, (files) => files.set(name, damaged));
      tally.note('store vectors-<gen>.f32', result);
      if (killedAppend || damaged.equals(bytes)) {
        assert.ok(result.ok, 'an uncommitted tail is ignored');
        assertFaithful(result.value, written);
        return;
      }
      if (!result.ok) return;
      const touched = rowsTouched(
        damage,
        damage.at % bytes.length,
        (r) => [r * D * 4, (r + 1) * D * 4],
        rowIds.length,
      ).map((r) => rowIds[r]);
      assertFaithful(result.value, written, new Set(touched));
      const changed = result.value.fetched.filter(
        (r) =>
          touched.includes(r.id) &&
          sha256(new Uint8Array(r.vector.buffer)) !== sha256(new Uint8Array(written.records.get(r.id)!.vector.buffer)),
      );
      assert.equal(changed.length, 0, 'a damage that changed a vector opened without an error');
    }),
    { seed: 0x766563, numRuns: 300, includeErrorInReport: true },
  );
});

test('fuzz: a damaged seen file never crashes the store; ids on untouched lines stay seen', async (t) => {
  const { caseRoot, written } = await setup(t);
  const name = fileNamed(written.files, /^seen[/\\]h\.txt$/);
  const bytes = written.files.get(name)!;
  const lines = bytes.toString('utf8').split('\n').slice(0, -1);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(damageArb, async (damage) => {
      const damaged = applyDamage(bytes, damage);
      const result = await openEdited(caseRoot, n++, written.files, (files) => files.set(name, Buffer.from(damaged)));
      tally.note('store seen/<head>.txt', result);
      assert.ok(result.ok, 'the seen list is a convenience: damage to it is skipped, not fatal');
      assertFaithful(result.value, written);
      const touched = rowsTouched(damage, damage.at % bytes.length, lineBytes(bytes), lines.length);
      const untouched = lines.filter((_, r) => !touched.includes(r)).map((l) => JSON.parse(l) as string);
      assert.ok(
        untouched.every((id) => result.value.seenByH.has(id)),
        `ids on untouched lines ${untouched.join(',')} stay seen; seen: ${[...result.value.seenByH].join(',')}`,
      );
      assert.equal(result.value.seen.get('ünï/x'), 1, "another head's list is untouched");
    }),
    { seed: 0x736565, numRuns: 200, includeErrorInReport: true },
  );
});

test('fuzz: a damaged or missing search-cache file never changes what the store holds or answers: it is rebuilt', async (t) => {
  const { caseRoot, written } = await setup(t);
  const names = [...written.files.keys()].filter((n) => /^search-\d+\./.test(n));
  assert.deepEqual(names.sort(), ['search-1.ids', 'search-1.info', 'search-1.lines', 'search-1.q4', 'search-1.q8']);
  const base = await openEdited(caseRoot, 0, written.files, () => undefined);
  assert.ok(base.ok);
  let n = 1;
  const change = fc.oneof(
    damageArb,
    fc.constant('gone' as const),
    fc.uint8Array({ minLength: 1, maxLength: 64 }), // an append cut by a kill: bytes past the committed rows
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...names), change, async (name, c) => {
      const result = await openEdited(caseRoot, n++, written.files, (files) => {
        const bytes = files.get(name)!;
        if (c === 'gone') files.delete(name);
        else files.set(name, c instanceof Uint8Array ? Buffer.concat([bytes, c]) : Buffer.from(applyDamage(bytes, c)));
      });
      tally.note('store search-<gen>.* (cache)', result);
      assert.ok(result.ok, `a damaged cache is rebuilt, never refused: ${result.ok ? '' : result.error.message}`);
      assertFaithful(result.value, written);
      assert.deepEqual(result.value.ids, base.value.ids);
      assert.deepEqual(result.value.hits, base.value.hits, 'and the store answers exactly as before');
    }),
    { seed: 0x736361, numRuns: 300, includeErrorInReport: true },
  );
});

test('a store with a missing, empty or wrongly typed file, or a newer format, is refused naming it', async (t) => {
  const { caseRoot, written } = await setup(t);
  const manifestName = fileNamed(written.files, /^manifest\.json$/);
  const sealed = (change: Partial<StoreManifest>) =>
    Buffer.from(manifestText({ ...JSON.parse(written.files.get(manifestName)!.toString('utf8')), ...change }));
  const cases: [string, (files: Snapshot) => void, RegExp][] = [
    [
      'a newer store format',
      (f) => f.set(manifestName, sealed({ version: STORE_VERSION + 1 })),
      new RegExp(`newer version of Vector Tune \\(store format ${STORE_VERSION + 1}`),
    ],
    // Refused before anything that size is allocated (Buffer.alloc would throw a RangeError).
    [
      'a manifest claiming petabytes of records',
      (f) => f.set(manifestName, sealed({ recordsBytes: 2 ** 52 })),
      /shorter than its manifest says \(\d+ of 4503599627370496 bytes/,
    ],
    ['an empty manifest', (f) => f.set(manifestName, Buffer.alloc(0)), /not valid JSON/],
    [
      'no records file',
      (f) => f.delete(fileNamed(f, /^records-/)),
      /records-1\.jsonl: a store data file is missing \(ENOENT\)/,
    ],
    [
      'no vectors file',
      (f) => f.delete(fileNamed(f, /^vectors-/)),
      /vectors-1\.f32: a store data file cannot be opened/,
    ],
    [
      'an empty records file',
      (f) => f.set(fileNamed(f, /^records-/), Buffer.alloc(0)),
      /shorter than its manifest says \(0 of/,
    ],
    [
      'an empty vectors file',
      (f) => f.set(fileNamed(f, /^vectors-/), Buffer.alloc(0)),
      /ends at byte 0, before the rows its manifest lists/,
    ],
  ];
  let n = 0;
  for (const [what, edit, expected] of cases) {
    const result = await openEdited(caseRoot, n++, written.files, edit);
    tally.note('store files missing or newer', result);
    assert.ok(!result.ok, what);
    assert.match(result.error.message, expected, what);
  }
});

/** Opens a copy of the store in which the file matching `pattern` is a folder. */
async function openWithFolder(caseRoot: string, n: number, files: Snapshot, pattern: RegExp) {
  const dir = path.join(caseRoot, `dir-case-${n}`);
  await fs.mkdir(path.join(dir, 'seen'), { recursive: true });
  for (const [name, bytes] of files) {
    if (pattern.test(name)) await fs.mkdir(path.join(dir, name));
    else await fs.writeFile(path.join(dir, name), bytes);
  }
  return openAndRead(dir);
}

test('a folder where the records file or a seen list should be is refused naming it', async (t) => {
  const { caseRoot, written } = await setup(t);
  for (const [n, pattern] of [/^records-/, /^seen[/\\]h\.txt$/].entries()) {
    const result = await openWithFolder(caseRoot, n, written.files, pattern);
    tally.note('store files missing or newer', result);
    assert.ok(!result.ok && /EISDIR|not a file/.test(result.error.message), `${pattern} as a folder`);
  }
});

test('a folder where the vectors file should be is refused naming it', async (t) => {
  const { caseRoot, written } = await setup(t);
  const result = await openWithFolder(caseRoot, 9, written.files, /^vectors-/);
  assert.ok(!result.ok);
});
