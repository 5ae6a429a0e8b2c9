import assert from 'node:assert/strict';
import { test } from 'node:test';
import { problemFirst, VectorTuneError } from '../../src/core/errors';

test('the CLI message names the file first; the notification text leads with the problem and ends with the file', () => {
  const err = new VectorTuneError(
    'this store cannot take these vectors: it holds q8 embeddings',
    '/tmp/ws/.vectortune/store-q8',
    'Set the precision back to q8.',
  );
  assert.equal(
    err.message,
    '/tmp/ws/.vectortune/store-q8: this store cannot take these vectors: it holds q8 embeddings Set the precision back to q8.',
  );
  assert.equal(
    problemFirst(err),
    'This store cannot take these vectors: it holds q8 embeddings Set the precision back to q8. (/tmp/ws/.vectortune/store-q8)',
  );
});

test('an error without a file reads the same both ways', () => {
  const err = new VectorTuneError('No head is open.', undefined, 'Start a head first.');
  assert.equal(problemFirst(err), err.message);
  assert.equal(problemFirst(err), 'No head is open. Start a head first.');
});
