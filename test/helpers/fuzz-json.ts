/**
 * Structural damage to JSON documents for the fuzz suites: a field deleted, given a value of the wrong type
 * or an absurd one (huge, non-finite as far as JSON can say it, empty), or the whole document replaced by
 * something that is not an object. The document is valid before the mutation, so every failure found is
 * the reader's, not the generator's.
 */
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values a careless edit, another tool or a corrupted file puts where a field should be. */
export const oddValueArb: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    true,
    false,
    0,
    -0,
    1,
    -1,
    0.5,
    2,
    -2,
    1e-320,
    1e39,
    -1e39,
    3.5e38,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    2 ** 53 + 2,
    -(2 ** 31),
    4294967296,
    '',
    'x',
    'NaN',
    'Infinity',
    '1',
    'l2',
    [],
    [1],
    [null],
    {},
    { id: 'x' },
    // An object String() cannot convert (its toString is not a function): a TypeError for careless readers.
    { toString: 0, valueOf: 0 },
  ),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 6 }),
);

/** What a whole file holds when it is not the object expected. */
export const notAnObjectArb: fc.Arbitrary<Json> = fc.constantFrom<Json>(null, 0, 'text', [], [{}], true);

export type JsonMutation =
  { kind: 'delete'; path: number } | { kind: 'replace'; path: number; value: Json } | { kind: 'whole'; value: Json };

export const jsonMutationArb: fc.Arbitrary<JsonMutation> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), path: fc.nat(), value: oddValueArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('whole' as const), value: notAnObjectArb }) },
);

/** Every path to a value inside `doc` (object keys and array indices), the root excluded. */
export function pathsOf(doc: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (doc === null || typeof doc !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(doc) ? doc.map((_, i) => i) : Object.keys(doc);
  return keys.flatMap((k) => [[...prefix, k], ...pathsOf((doc as Record<string | number, Json>)[k], [...prefix, k])]);
}

/** A mutated deep copy of `doc`; `describe` says what changed, for assertion messages. */
export function mutateJson(doc: Json, m: JsonMutation): { doc: Json; describe: string } {
  if (m.kind === 'whole') return { doc: m.value, describe: `the whole document is ${JSON.stringify(m.value)}` };
  const copy = structuredClone(doc);
  const paths = pathsOf(copy);
  if (paths.length === 0) return { doc: copy, describe: 'nothing inside to change' };
  const target = paths[m.path % paths.length];
  const parent = target
    .slice(0, -1)
    .reduce<Json>((node, k) => (node as Record<string | number, Json>)[k], copy) as Record<string | number, Json>;
  const key = target[target.length - 1];
  const where = target.join('.');
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
    return { doc: copy, describe: `deleted ${where}` };
  }
  parent[key] = m.value;
  return { doc: copy, describe: `${where} = ${JSON.stringify(m.value)}` };
}

/**
 * Text-level edits JSON.stringify cannot make: the literals NaN and Infinity (Python's json.dump writes them),
 * and numbers too large for a double, which JSON.parse turns into Infinity.
 */
export const nonFiniteLiteralArb = fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '-1e400');

/** Replaces the `which`-th number in the JSON text by `literal`. */
export function replaceNthNumber(text: string, which: number, literal: string): string {
  const numbers = [...text.matchAll(/(?<=[:,[]\s*)-?\d+(\.\d+)?([eE][-+]?\d+)?(?=\s*[,\]}])/g)];
  if (numbers.length === 0) return text;
  const m = numbers[which % numbers.length];
  return text.slice(0, m.index) + literal + text.slice(m.index + m[0].length);
}
