import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isTrackingLink, knownIssueOf, refusedKnownIssues, type KnownIssue } from '../fault/known-issues';
import { problem } from '../fault/scenario';

const torn = problem('torn', 'labels.jsonl: line 3 is half written');
const issue = (fields: Partial<KnownIssue>): KnownIssue => ({
  id: 'torn-labels',
  reason: 'a kill mid-append leaves half a line in labels.jsonl',
  tracked: 'issue 15',
  matches: (p) => p.kind === 'torn',
  ...fields,
});

test('known issues: an entry with a reason and an issue reference or URL is accepted, and excuses what it matches', () => {
  const accepted = [
    issue({ id: 'a', tracked: 'issue 15' }),
    issue({ id: 'b', tracked: 'Issue #15' }),
    issue({ id: 'c', tracked: '#15' }),
    issue({ id: 'd', tracked: 'https://github.com/example/vector-tune/issues/15' }),
  ];
  assert.deepEqual(refusedKnownIssues(accepted), []);
  assert.equal(knownIssueOf(torn, accepted)?.id, 'a');
  assert.equal(knownIssueOf(problem('lost', 'a label is missing'), accepted), undefined, 'only what it matches');
});

test('known issues: an entry without a reason or a tracking link is refused naming it, and excuses nothing', () => {
  const refused = refusedKnownIssues([
    issue({ id: 'no-reason', reason: '' }),
    issue({ id: 'blank-reason', reason: '   ' }),
    issue({ id: 'no-link', tracked: undefined }),
    issue({ id: 'empty-link', tracked: '' }),
    issue({ id: 'vague-link', tracked: 'the team chat' }),
    issue({ id: 'not-a-web-link', tracked: 'ftp://example.com/issue/15' }),
    issue({ id: '', reason: '', tracked: '' }),
  ]);
  assert.deepEqual(refused, [
    'known issue "no-reason": no reason',
    'known issue "blank-reason": no reason',
    'known issue "no-link": no "tracked" link',
    'known issue "empty-link": no "tracked" link',
    'known issue "vague-link": "tracked" is "the team chat", not an issue reference (issue 15, #15) or an http(s) URL',
    'known issue "not-a-web-link": "tracked" is "ftp://example.com/issue/15", not an issue reference (issue 15, #15) or an http(s) URL',
    'known issue #7 (no id): no reason; no "tracked" link',
  ]);
  assert.equal(knownIssueOf(torn, [issue({ reason: '' })]), undefined, 'a refused entry excuses nothing');
  assert.equal(knownIssueOf(torn, [issue({ tracked: 'somewhere' })]), undefined, 'a refused entry excuses nothing');
});

test('known issues: what counts as a tracking link', () => {
  for (const good of ['issue 6', 'issue #6', '#6', 'http://tracker.example/6', 'https://github.com/o/r/issues/6'])
    assert.ok(isTrackingLink(good), good);
  for (const bad of [undefined, 42, '', 'issue', 'issue six', '6', 'see issue 6 and 7', 'mailto:team@example.com'])
    assert.ok(!isTrackingLink(bad), String(bad));
});
