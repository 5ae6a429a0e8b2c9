import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { LIMITS, parseWebviewMessage, ProtocolError } from '../../src/protocol/webview-protocol';

test('valid panel messages parse to exactly what was sent', () => {
  const submit = {
    kind: 'request',
    id: 7,
    method: 'submit',
    params: {
      batchId: 'b1',
      scores: [
        { id: 'a.jpg', score: 1 },
        { id: 'b.jpg', score: null },
        { id: 'c.jpg', score: -0.5 },
      ],
    },
  };
  assert.deepEqual(parseWebviewMessage(submit), submit);
  assert.deepEqual(parseWebviewMessage({ kind: 'notify', method: 'ready' }), { kind: 'notify', method: 'ready' });
  assert.deepEqual(
    parseWebviewMessage({ kind: 'notify', method: 'draft', batchId: 'b1', scores: { 'a.jpg': 0.5, 'b.jpg': null } }),
    {
      kind: 'notify',
      method: 'draft',
      batchId: 'b1',
      scores: { 'a.jpg': 0.5, 'b.jpg': null },
    },
  );
  assert.deepEqual(
    parseWebviewMessage({ kind: 'notify', method: 'runAction', action: 'resetSeen', extra: 'dropped' }),
    {
      kind: 'notify',
      method: 'runAction',
      action: 'resetSeen',
    },
  );
});

test('search, reveal and batch options parse to exactly what was sent, extra fields dropped', () => {
  const text = { kind: 'request', id: 3, method: 'search', params: { query: { kind: 'text', text: 'a red hat' } } };
  assert.deepEqual(parseWebviewMessage(text), text);
  const similar = { kind: 'request', id: 4, method: 'search', params: { query: { kind: 'similar', id: 'img/a.jpg' } } };
  assert.deepEqual(parseWebviewMessage(similar), similar);
  assert.deepEqual(parseWebviewMessage({ kind: 'notify', method: 'revealImage', id: 'img/a.jpg', x: 1 }), {
    kind: 'notify',
    method: 'revealImage',
    id: 'img/a.jpg',
  });
  assert.deepEqual(parseWebviewMessage({ kind: 'notify', method: 'batchOptions', strategy: 'boundary' }), {
    kind: 'notify',
    method: 'batchOptions',
    strategy: 'boundary',
  });
  assert.deepEqual(parseWebviewMessage({ kind: 'notify', method: 'batchOptions', strategy: 'mixed-diverse' }), {
    kind: 'notify',
    method: 'batchOptions',
    strategy: 'mixed-diverse',
  });
  assert.deepEqual(parseWebviewMessage({ kind: 'notify', method: 'batchOptions', batchSize: 24, evil: true }), {
    kind: 'notify',
    method: 'batchOptions',
    batchSize: 24,
  });
});

test('malformed and hostile panel messages are rejected with a reason', () => {
  const hostile: [unknown, RegExp][] = [
    [null, /not an object/],
    ['submit', /not an object/],
    [[1, 2], /not an object/],
    [{ kind: 'exec', command: 'rm -rf /' }, /kind must be/],
    [{ kind: 'request', id: 1, method: 'eval', params: {} }, /unknown request method/],
    [{ kind: 'request', id: 'x', method: 'submit', params: {} }, /request id/],
    [
      { kind: 'request', id: 1, method: 'submit', params: { batchId: 'b', scores: [{ id: 'a', score: 2 }] } },
      /from -1 to \+1/,
    ],
    [
      { kind: 'request', id: 1, method: 'submit', params: { batchId: 'b', scores: [{ id: 'a', score: Number.NaN }] } },
      /from -1 to \+1/,
    ],
    [
      { kind: 'request', id: 1, method: 'submit', params: { batchId: 'b', scores: [{ id: 'a', score: '1' }] } },
      /from -1 to \+1/,
    ],
    [
      { kind: 'request', id: 1, method: 'submit', params: { batchId: 'b', scores: [{ id: '', score: 1 }] } },
      /id must be/,
    ],
    [
      {
        kind: 'request',
        id: 1,
        method: 'submit',
        params: { batchId: 'b', scores: Array(LIMITS.maxScores + 1).fill({ id: 'a', score: 0 }) },
      },
      /at most 1000/,
    ],
    [{ kind: 'request', id: 1, method: 'submit', params: { batchId: 'x'.repeat(500), scores: [] } }, /batchId/],
    [{ kind: 'notify', method: 'openImage', id: 'x'.repeat(LIMITS.maxIdLength + 1) }, /id must be/],
    [{ kind: 'notify', method: 'runAction', action: 'workbench.action.terminal.new' }, /unknown panel action/],
    [{ kind: 'notify', method: 'draft', batchId: 'b', scores: { a: 5 } }, /from -1 to \+1/],
    [{ kind: 'notify', method: '__proto__' }, /unknown notification/],
    [{ kind: 'request', id: 1, method: 'search', params: { query: { kind: 'text', text: '   ' } } }, /blank/],
    [
      { kind: 'request', id: 1, method: 'search', params: { query: { kind: 'text', text: 'x'.repeat(1001) } } },
      /at most 1000/,
    ],
    [{ kind: 'request', id: 1, method: 'search', params: { query: { kind: 'shell', text: 'ls' } } }, /a search query/],
    [{ kind: 'request', id: 1, method: 'search', params: { query: { kind: 'similar', id: 7 } } }, /id must be/],
    [{ kind: 'request', id: 1, method: 'search', params: {} }, /query object/],
    [{ kind: 'notify', method: 'revealImage', id: '' }, /id must be/],
    [{ kind: 'notify', method: 'batchOptions', strategy: 'random' }, /unknown strategy/],
    [{ kind: 'notify', method: 'batchOptions', strategy: 'diverse' }, /unknown strategy/],
    [{ kind: 'notify', method: 'batchOptions', batchSize: 0 }, /from 1 to 200/],
    [{ kind: 'notify', method: 'batchOptions', batchSize: 2.5 }, /from 1 to 200/],
    [{ kind: 'notify', method: 'batchOptions', batchSize: 201 }, /from 1 to 200/],
  ];
  for (const [message, reason] of hostile) {
    assert.throws(
      () => parseWebviewMessage(message),
      (err: Error) => err instanceof ProtocolError && reason.test(err.message),
      JSON.stringify(message)?.slice(0, 80),
    );
  }
});

test('random messages never get through unparsed: either a valid message or a ProtocolError', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.anything(), (raw) => {
      try {
        const m = parseWebviewMessage(raw);
        accepted++;
        assert.ok(m.kind === 'request' || m.kind === 'notify');
      } catch (err) {
        assert.ok(err instanceof ProtocolError, String(err));
      }
    }),
    { numRuns: 3000, seed: 42 },
  );
  console.log(`webview protocol fuzz: 3000 random messages, ${accepted} accepted`);
});

test('a settle from the Labelled view parses to its id and score; a missing or out-of-range score is refused', () => {
  assert.deepEqual(parseWebviewMessage({ kind: 'notify', method: 'settleLabel', id: 'img/a.jpg', score: 0.5, x: 1 }), {
    kind: 'notify',
    method: 'settleLabel',
    id: 'img/a.jpg',
    score: 0.5,
  });
  for (const score of [null, 2, 'yes', undefined])
    assert.throws(
      () => parseWebviewMessage({ kind: 'notify', method: 'settleLabel', id: 'img/a.jpg', score }),
      ProtocolError,
      `score ${String(score)}`,
    );
  assert.throws(() => parseWebviewMessage({ kind: 'notify', method: 'settleLabel', score: 1 }), /id must be/);
});
