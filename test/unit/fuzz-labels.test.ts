/**
 * Fuzzing labels.jsonl, the user's work: files cut at every kind of point (a kill mid-append), damaged in the
 * middle (bad disk, bad merge), and lines with fields of the wrong type or out of range. A cut must lose
 * nothing that was complete and say what it ignored; damage must be refused, or leave the labels outside it
 * intact and change the file's hash (which the weights file records, so a session notices and retrains).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { appendLabels, Label, readLabels } from '../../src/core/tune/labels-file';
import { examplesUpTo } from '../../src/core/tune/replay';
import { sha256 } from '../../src/core/util/hash';
import { applyDamage, damageArb, type Damage } from '../helpers/fuzz-bytes';
import { CaseTally, outcome } from '../helpers/fuzz-check';
import { type Json, jsonMutationArb, mutateJson, nonFiniteLiteralArb, replaceNthNumber } from '../helpers/fuzz-json';
import { tempDir } from '../helpers/temp';

const tally = new CaseTally();
test.after(() => tally.print());

// Ids from a small pool, so the same record is often scored twice (a re-score: the latest counts).
const labelArb: fc.Arbitrary<Label> = fc
  .record({
    id: fc.constantFrom('a.jpg', 'b.jpg', 'café/一.jpg', '😀 "q" \\ x', 'img 7'),
    score: fc
      .oneof(fc.constantFrom(-1, 1, 0, 0.5, -0.5), fc.double({ min: -1, max: 1, noNaN: true }))
      .map((s) => (s === 0 ? 0 : s)),
    round: fc.nat({ max: 4 }),
    time: fc.constantFrom('2026-01-01T00:00:00.000Z', ''),
    path: fc.constantFrom(undefined, 'photos/a.jpg'),
  })
  .map((l) => (l.path === undefined ? { id: l.id, score: l.score, round: l.round, time: l.time } : l));

/** Labels written by appendLabels in one or more batches, as a session writes them. */
const historyArb = fc.tuple(fc.array(labelArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 3 }));

async function writeHistory(file: string, [labels, cuts]: [Label[], number[]]): Promise<Buffer> {
  const bounds = [...new Set([0, ...cuts.map((c) => c % labels.length), labels.length])].sort((a, b) => a - b);
  for (let i = 1; i < bounds.length; i++) await appendLabels(file, labels.slice(bounds[i - 1], bounds[i]));
  return fs.readFile(file);
}

/** Byte offsets where each line ends (after its newline). */
const lineEnds = (bytes: Buffer) => [...bytes.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i + 1);

/** A fresh file name per case, in a folder removed when the test ends. */
async function caseFiles(t: Parameters<typeof tempDir>[0]): Promise<() => string> {
  const dir = await tempDir(t, 'vt-fuzz-labels-');
  let n = 0;
  return () => path.join(dir, `labels-${n++}.jsonl`);
}

/** readLabels always sets `path` (undefined when absent); compare labels in that form. */
const normal = (labels: Label[]) => labels.map((l) => ({ ...l, path: l.path }));

test('fuzz: a file cut anywhere keeps every complete label, reports the torn line, and the next append repairs it', async (t) => {
  const next = await caseFiles(t);
  await fc.assert(
    fc.asyncProperty(historyArb, fc.nat(), labelArb, async (history, cutAt, extra) => {
      const file = next();
      const whole = await writeHistory(file, history);
      const labels = history[0];
      const cut = cutAt % (whole.length + 1);
      await fs.writeFile(file, whole.subarray(0, cut));
      const result = await outcome(() => readLabels(file), file);
      tally.note('labels.jsonl cut', result);
      assert.ok(result.ok, result.ok ? '' : result.error.message);
      const ends = lineEnds(whole);
      const complete = ends.filter((e) => e <= cut).length;
      const lastEnd = complete === 0 ? 0 : ends[complete - 1];
      const lacksOnlyNewline = ends.includes(cut + 1);
      const expected = labels.slice(0, complete + (lacksOnlyNewline ? 1 : 0));
      assert.deepEqual(normal(result.value.labels), normal(expected), `cut at byte ${cut} of ${whole.length}`);
      const torn = cut > lastEnd && !lacksOnlyNewline;
      assert.equal(result.value.tornTail, torn ? whole.subarray(lastEnd, cut).toString('utf8') : null);
      assert.equal(result.value.tornBytes, torn ? cut - lastEnd : 0);
      assert.equal(result.value.missingNewline, lacksOnlyNewline);
      assert.equal(result.value.sha256, sha256(whole.subarray(0, torn ? lastEnd : cut)));
      // Duplicate ids are re-scores: training sees each record once, with its latest score.
      const vectors = new Map(expected.map((l) => [l.id, Float32Array.of(1)]));
      const latest = new Map(expected.map((l) => [l.id, l.score]));
      assert.deepEqual(
        examplesUpTo(result.value.labels, Infinity, vectors).map((e) => e.target),
        [...latest.values()].map((s) => (s + 1) / 2),
      );

      await appendLabels(file, [extra]);
      const after = await readLabels(file);
      assert.deepEqual(normal(after.labels), normal([...expected, extra]));
      assert.equal(after.tornTail, null);
    }),
    { seed: 0x637574, numRuns: 200, includeErrorInReport: true },
  );
});

/** The span of original bytes a damage touches: labels wholly outside it must survive unchanged. */
function touched(d: Damage, at: number): { from: number; to: number } {
  const length = d.kind === 'zero' || d.kind === 'delete' ? d.length : d.kind === 'insert' ? 0 : 1;
  return { from: at, to: at + length };
}

test('fuzz: damage in the middle is refused naming the line, or leaves the labels around it intact and changes the hash', async (t) => {
  const next = await caseFiles(t);
  const middleDamage = damageArb.filter((d) => d.kind !== 'cut');
  await fc.assert(
    fc.asyncProperty(historyArb, middleDamage, async (history, damage) => {
      const file = next();
      const whole = Buffer.from(history[0].map((l) => `${JSON.stringify(l)}\n`).join('')); // as appendLabels writes them, without its fsyncs
      const region = { from: 0, to: whole.length - 1 }; // never the last newline: that would be a cut
      const damaged = Buffer.from(applyDamage(whole, damage, region));
      if (damaged.equals(whole)) return;
      await fs.writeFile(file, damaged);
      const result = await outcome(() => readLabels(file), file);
      tally.note('labels.jsonl damaged', result);
      if (!result.ok) {
        assert.match(result.error.message, /line \d+ of the labels file/);
        return;
      }
      const complete = damaged.subarray(0, damaged.lastIndexOf(0x0a) + 1);
      assert.ok(isUtf8(complete), 'invalid UTF-8 must be refused, not read as U+FFFD');
      const { from, to } = touched(damage, region.from + (damage.at % (region.to - region.from)));
      const ends = lineEnds(whole);
      const before = ends.filter((e) => e <= from).length;
      const after = ends.filter((e, i) => (i === 0 ? 0 : ends[i - 1]) >= to).length;
      const labels = history[0];
      const got = result.value.labels;
      assert.deepEqual(normal(got.slice(0, before)), normal(labels.slice(0, before)), 'labels before the damage');
      if (after > 0)
        assert.deepEqual(normal(got.slice(-after)), normal(labels.slice(-after)), 'labels after the damage');
      assert.notEqual(result.value.sha256, sha256(whole), 'a changed file must not hash as the old one');
      for (const l of got)
        assert.ok(
          l.id !== '' &&
            Math.abs(l.score) <= 1 &&
            Number.isSafeInteger(l.round) &&
            l.round >= 0 &&
            typeof l.time === 'string',
        );
    }),
    { seed: 0x646d67, numRuns: 600, includeErrorInReport: true },
  );
});

/** What a correct reader makes of one parsed line: the label, or null when the line must be refused. */
function expectedLabel(raw: Json): Label | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const { id, score, round, path: p, time } = raw;
  if (typeof id !== 'string' || id === '') return null;
  if (typeof score !== 'number' || !(score >= -1 && score <= 1)) return null;
  if (typeof round !== 'number' || !Number.isSafeInteger(round) || round < 0) return null;
  if (p !== undefined && typeof p !== 'string') return null;
  if (time !== undefined && time !== null && typeof time !== 'string' && typeof time !== 'number') return null;
  return { id, path: p, score, round, time: time === undefined || time === null ? '' : String(time) };
}

test('fuzz: a line with a field missing, of the wrong type, out of range or non-finite is refused; other lines are read', async (t) => {
  const next = await caseFiles(t);
  const edit = fc.oneof(
    { weight: 4, arbitrary: jsonMutationArb.map((m) => ({ kind: 'json' as const, m })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat(), nonFiniteLiteralArb)
        .map(([which, literal]) => ({ kind: 'literal' as const, which, literal })),
    },
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(labelArb, { minLength: 1, maxLength: 5 }),
      fc.nat(),
      edit,
      fc.boolean(),
      async (labels, pick, e, bom) => {
        const file = next();
        const victim = pick % labels.length;
        const lines = labels.map((l) => JSON.stringify(l));
        let expected: Label | null;
        if (e.kind === 'json') {
          const mutated = mutateJson(labels[victim] as unknown as Json, e.m).doc;
          lines[victim] = JSON.stringify(mutated);
          expected = expectedLabel(JSON.parse(lines[victim]));
        } else {
          lines[victim] = replaceNthNumber(lines[victim], e.which, e.literal);
          expected = null; // NaN and Infinity are not JSON; 1e999 is, but parses to Infinity: out of range
        }
        // A BOM (an editor's) is dropped; the last line may lack its newline (a hand edit), and is checked all the same.
        await fs.writeFile(file, (bom ? '\uFEFF' : '') + lines.join('\n') + (pick % 2 ? '\n' : ''));
        const result = await outcome(() => readLabels(file), file);
        tally.note('labels.jsonl fields', result);
        if (e.kind === 'literal' && pick % 2 === 0 && victim === labels.length - 1 && !/1e999|1e400/.test(e.literal)) {
          // Not JSON and not ended by a newline: indistinguishable from a line torn by a kill, so reported as one.
          assert.ok(
            result.ok && result.value.tornTail === lines[victim],
            `the last line ${lines[victim]} should be reported as torn`,
          );
          assert.deepEqual(normal(result.value.labels), normal(labels.slice(0, -1)));
          return;
        }
        if (!expected) {
          assert.ok(!result.ok, `should refuse line ${lines[victim]}`);
          assert.ok(result.error.message.includes(`line ${victim + 1} `), result.error.message);
          return;
        }
        assert.ok(result.ok, `should read ${lines[victim]}: ${result.ok ? '' : result.error.message}`);
        assert.deepEqual(normal(result.value.labels), normal(labels.map((l, i) => (i === victim ? expected : l))));
      },
    ),
    { seed: 0x666c64, numRuns: 600, includeErrorInReport: true },
  );
});
