/**
 * Two teammates on one Pinecone index (the local stand-in): the same committed head, cloned into a second workspace,
 * shares its seen markers (an image one teammate saw is not offered to the other), and its labels merge through git;
 * a different head that happens to have the same name has markers of its own and never touches the first's.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { CliIo } from '../../src/cli/command';
import { runCli } from '../../src/cli/main';
import { seenField } from '../../src/core/store/pinecone/metadata';
import { startFakePinecone, type FakePinecone } from '../helpers/fake-pinecone';
import { clusteredRecords, seedIndex } from '../helpers/pinecone-rounds';
import { tempDir } from '../helpers/temp';

let fake: FakePinecone;
before(async () => {
  fake = await startFakePinecone();
});
after(() => fake.close());

const HEAD = 'vectortune/heads/hat';

function workspace(ws: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    cwd: ws,
    env: { PINECONE_API_KEY: fake.apiKey },
  };
  const where = ['--pinecone-index', 'team', '--pinecone-controller-host', fake.controllerHostUrl];
  return {
    ws,
    async run(...args: string[]) {
      out.length = 0;
      err.length = 0;
      assert.equal(await runCli([...args, ...where], io), 0, [...out, ...err].join('\n'));
      return out.join('\n');
    },
    labels: () =>
      fs
        .readFileSync(path.join(ws, HEAD, 'labels.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string }),
    headId: () =>
      (JSON.parse(fs.readFileSync(path.join(ws, HEAD, 'classifier.weights.json'), 'utf8')) as { id: string }).id,
  };
}

/** What `git clone` (or a pull) brings: the committed head folder, without its git-ignored `.local/`. */
function cloneHead(from: string, to: string): void {
  fs.cpSync(path.join(from, HEAD), path.join(to, HEAD), {
    recursive: true,
    filter: (src) => !src.split(path.sep).includes('.local'),
  });
}

test('one committed head shares its markers across clones; another head named "hat" has its own', async (t) => {
  const { records, positive } = clusteredRecords(400, 32, 0.1, 11);
  await seedIndex(fake, 'team', records, 'test/team-32');
  const data = fake.indexes.get('team')!.namespaces.get('__default__')!;
  const marked = (headId: string) =>
    new Set([...data.values()].filter((r) => r.metadata?.[seenField(headId)] === true).map((r) => r.id));
  const answers = path.join(await tempDir(t), 'answers.csv');
  fs.writeFileSync(
    answers,
    'path,score\n' + records.map((r) => `${r.id},${positive.has(r.id) ? 1 : -1}`).join('\n') + '\n',
  );
  const tune = ['tune', 'hat', '--answers', answers, '--score-column', 'score', '--rounds', '1', '--batch', '10'];

  const alice = workspace(await tempDir(t));
  await alice.run('start', 'hat', '--examples', [...positive].slice(0, 2).join(','));
  await alice.run(...tune);
  const aliceSaw = marked(alice.headId());
  assert.equal(aliceSaw.size, 12);

  // Bob clones the repository: the same head, the same id, the same markers.
  const bob = workspace(await tempDir(t));
  cloneHead(alice.ws, bob.ws);
  assert.equal(bob.headId(), alice.headId());
  const bobBefore = bob.labels().length;
  await bob.run(...tune);
  const bobLabelled = bob
    .labels()
    .slice(bobBefore)
    .map((l) => l.id);
  assert.equal(bobLabelled.length, 10);
  assert.ok(
    bobLabelled.every((id) => !aliceSaw.has(id)),
    'nothing Alice was shown is offered to Bob: the markers are shared',
  );
  assert.equal(marked(alice.headId()).size, 22);

  // Carol, elsewhere, starts an unrelated head that is also called "hat": another id, other markers.
  const carol = workspace(await tempDir(t));
  await carol.run('start', 'hat', '--examples', [...positive].slice(5, 6).join(','));
  assert.notEqual(carol.headId(), alice.headId());
  await carol.run(...tune);
  assert.equal(marked(carol.headId()).size, 11);
  await carol.run('reset-seen', 'hat');
  assert.equal(marked(alice.headId()).size, 22, "Carol's reset leaves the other head's markers alone");
  assert.equal(
    [...data.values()].filter((r) => r.metadata?.[seenField(carol.headId())] === false).length,
    400 - 11,
    "Carol's head: every record has its field, the unlabelled ones false again",
  );

  // Bob's labels reach Alice through git (appended lines merge); opening the head marks only what Alice's
  // workspace has not marked itself: Bob's ten labels, already seen in the shared field, written again once.
  fs.appendFileSync(
    path.join(alice.ws, HEAD, 'labels.jsonl'),
    bobLabelled
      .map((id) => {
        const line = fs
          .readFileSync(path.join(bob.ws, HEAD, 'labels.jsonl'), 'utf8')
          .split('\n')
          .find((l) => l.includes(JSON.stringify(id)));
        return `${line}\n`;
      })
      .join(''),
  );
  fake.traffic.reset();
  const out = await alice.run('rank', 'hat', '--top', '3');
  assert.match(out.split('\n')[0], /^ {4}1 /);
  const traffic = fake.traffic.snapshot();
  assert.equal(traffic['POST /vectors/update'].requests, 1 + 10, "one fill by filter, then Bob's ten labels");
  fake.traffic.reset();
  await alice.run('rank', 'hat', '--top', '3');
  assert.equal(fake.traffic.snapshot()['POST /vectors/update'].requests, 1, 'the next open marks nothing');
});
