import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { timeLeftReporter } from '../../src/extension/progress-text';

/** The indexing notification's text: the worker's words, and a time left only once there is a rate. */
test('status lines pass as they are, and no time left is guessed before anything is done', () => {
  let now = 0;
  const text = timeLeftReporter(() => now);
  assert.equal(
    text({ done: 0, total: 0, message: 'Loading the embedding model...' }),
    'Loading the embedding model...',
  );
  now = 30_000; // the model took 30 s to load: not part of the rate
  assert.equal(text({ done: 0, total: 100, message: 'Embedded 0 of 100 images' }), 'Embedded 0 of 100 images');
  now = 40_000;
  assert.equal(
    text({ done: 20, total: 100, message: 'Embedded 20 of 100 images' }),
    'Embedded 20 of 100 images, about 40 s left',
  );
  now = 50_000;
  assert.equal(
    text({ done: 100, total: 100, message: 'Embedded 100 of 100 images' }),
    'Embedded 100 of 100 images, about 0 s left',
  );
});

test('a new total (another phase) starts its rate afresh', () => {
  let now = 0;
  const text = timeLeftReporter(() => now);
  text({ done: 0, total: 10, message: 'a' });
  now = 10_000;
  assert.equal(text({ done: 5, total: 10, message: 'a' }), 'a, about 10 s left');
  assert.equal(text({ done: 0, total: 50, message: 'b' }), 'b');
  now = 12_000;
  assert.equal(text({ done: 10, total: 50, message: 'b' }), 'b, about 8 s left');
});
