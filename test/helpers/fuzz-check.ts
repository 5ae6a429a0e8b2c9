/**
 * The rule every fuzz suite (test/unit/fuzz-*.test.ts) holds each reader to on bad input: it either reads
 * the input or refuses it with a VectorTuneError that names the file; a TypeError, RangeError or any other
 * exception is a crash and fails the case. Plus a tally of the cases run per file type, printed at the end
 * of each suite, so a run shows how much was tried.
 */
import assert from 'node:assert/strict';
import { VectorTuneError } from '../../src/core/errors';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: VectorTuneError };

/** Turns what a reader threw into a refusal, or fails with the crash (keeping its stack). */
function refusal(err: unknown, file: string): Outcome<never> {
  if (!(err instanceof VectorTuneError)) {
    assert.fail(
      `expected a VectorTuneError naming ${file}, got a crash: ${err instanceof Error ? err.stack : String(err)}`,
    );
  }
  assert.ok(err.message.includes(file), `the error should name ${file}: ${err.message}`);
  return { ok: false, error: err };
}

export function outcomeSync<T>(read: () => T, file: string): Outcome<T> {
  try {
    return { ok: true, value: read() };
  } catch (err) {
    return refusal(err, file);
  }
}

export async function outcome<T>(read: () => Promise<T>, file: string): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (err) {
    return refusal(err, file);
  }
}

/** Counts cases per file type and how each ended; `print` writes one line per type. */
export class CaseTally {
  private readonly rows = new Map<string, { cases: number; refused: number }>();

  note(fileType: string, result: Outcome<unknown>): void {
    const row = this.rows.get(fileType) ?? { cases: 0, refused: 0 };
    row.cases++;
    if (!result.ok) row.refused++;
    this.rows.set(fileType, row);
  }

  cases(fileType: string): number {
    return this.rows.get(fileType)?.cases ?? 0;
  }

  refused(fileType: string): number {
    return this.rows.get(fileType)?.refused ?? 0;
  }

  print(): void {
    const fmt = (n: number) => n.toLocaleString('en-US');
    for (const [type, { cases, refused }] of this.rows) {
      console.log(
        `fuzz ${type}: ${fmt(cases)} cases (${fmt(refused)} refused with a VectorTuneError, ${fmt(cases - refused)} read)`,
      );
    }
  }
}
