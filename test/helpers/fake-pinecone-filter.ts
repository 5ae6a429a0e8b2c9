/**
 * Metadata filters of the local Pinecone stand-in: Pinecone's documented operators (`$eq`, `$ne`, `$gt`, `$gte`,
 * `$lt`, `$lte`, `$in`, `$nin`, `$exists`, `$and`, `$or`) and two readings of a comparison on a field a record
 * does not have, because the service's own reading is not known here:
 * - `mongo`: MongoDB's rule, which Pinecone's filter language is modelled on: `$ne` and `$nin` match a record
 *   without the field; every other comparison does not.
 * - `strict`: a comparison on a missing field never matches, `$ne` and `$nin` included, and an `$or` matches only
 *   records that have every field it names. That is what a public report from another Pinecone client
 *   (deepset-ai/haystack-core-integrations#590) describes of the service.
 * `$exists` is the same in both readings. A store that works under both does not depend on which one is true.
 */
import { HttpError } from './fake-pinecone-errors';

export type MissingFieldReading = 'mongo' | 'strict';

type Metadata = Record<string, unknown>;

export function matches(metadata: Metadata, filter: unknown, reading: MissingFieldReading): boolean {
  if (filter === undefined || filter === null) return true;
  if (typeof filter !== 'object' || Array.isArray(filter)) throw invalid('filter must be an object');
  for (const [key, cond] of Object.entries(filter as Record<string, unknown>)) {
    if (key === '$and') {
      if (!clauses(cond, key).every((f) => matches(metadata, f, reading))) return false;
    } else if (key === '$or') {
      const parts = clauses(cond, key);
      if (reading === 'strict' && !fieldsOf(parts).every((field) => field in metadata)) return false;
      if (!parts.some((f) => matches(metadata, f, reading))) return false;
    } else if (key.startsWith('$')) {
      throw invalid(`unsupported operator ${key}`);
    } else if (!fieldMatches(metadata, key, cond, reading)) {
      return false;
    }
  }
  return true;
}

function fieldMatches(metadata: Metadata, key: string, cond: unknown, reading: MissingFieldReading): boolean {
  const present = key in metadata;
  const value = metadata[key];
  const ops =
    cond !== null && typeof cond === 'object' && !Array.isArray(cond)
      ? (cond as Record<string, unknown>)
      : { $eq: cond };
  for (const [op, arg] of Object.entries(ops)) {
    if (op === '$exists') {
      if (typeof arg !== 'boolean') throw invalid('$exists takes true or false');
      if (present !== arg) return false;
      continue;
    }
    checkArgument(op, arg);
    if (!present) {
      if (reading === 'strict' || (op !== '$ne' && op !== '$nin')) return false;
      continue;
    }
    if (!compare(op, value, arg)) return false;
  }
  return true;
}

function compare(op: string, value: unknown, arg: unknown): boolean {
  const eq = (a: unknown) => (Array.isArray(value) ? value.includes(a) : value === a);
  switch (op) {
    case '$eq':
      return eq(arg);
    case '$ne':
      return !eq(arg);
    case '$in':
      return (arg as unknown[]).some(eq);
    case '$nin':
      return !(arg as unknown[]).some(eq);
    case '$gt':
      return typeof value === 'number' && value > (arg as number);
    case '$gte':
      return typeof value === 'number' && value >= (arg as number);
    case '$lt':
      return typeof value === 'number' && value < (arg as number);
    default: // '$lte'
      return typeof value === 'number' && value <= (arg as number);
  }
}

/** Pinecone refuses a malformed operator argument with 400 rather than matching nothing. */
function checkArgument(op: string, arg: unknown): void {
  if (op === '$eq' || op === '$ne') {
    if (!['string', 'number', 'boolean'].includes(typeof arg)) throw invalid(`${op} takes a string, number or boolean`);
  } else if (op === '$in' || op === '$nin') {
    if (!Array.isArray(arg)) throw invalid(`${op} takes an array`);
  } else if (op === '$gt' || op === '$gte' || op === '$lt' || op === '$lte') {
    if (typeof arg !== 'number') throw invalid(`${op} takes a number`);
  } else {
    throw invalid(`unsupported operator ${op}`);
  }
}

function clauses(cond: unknown, op: string): unknown[] {
  if (!Array.isArray(cond) || cond.length === 0) throw invalid(`${op} takes a non-empty array of filters`);
  return cond;
}

/** The metadata fields an expression names, at any depth. */
function fieldsOf(filters: unknown[]): string[] {
  const out: string[] = [];
  for (const f of filters) {
    if (f === null || typeof f !== 'object') continue;
    for (const [key, cond] of Object.entries(f as Record<string, unknown>)) {
      if (key === '$and' || key === '$or') out.push(...fieldsOf(Array.isArray(cond) ? cond : []));
      else out.push(key);
    }
  }
  return out;
}

function invalid(message: string): HttpError {
  return new HttpError(400, 'INVALID_ARGUMENT', message);
}
