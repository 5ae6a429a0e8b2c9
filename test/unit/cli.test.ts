import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runCli } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/command';
import { tempDir } from '../helpers/temp';

function capture(cwd = process.cwd()) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd, env: {} };
  return { io, out, err };
}

const SUBCOMMANDS = ['index', 'import', 'start', 'tune', 'rank', 'reset-seen'];

test('every subcommand has --help naming its options', async () => {
  for (const name of SUBCOMMANDS) {
    const { io, out } = capture();
    assert.equal(await runCli([name, '--help'], io), 0, name);
    const help = out.join('\n');
    assert.match(help, new RegExp(`^vector-tune ${name}`), name);
    assert.match(help, /Options:\n {2}--/, name);
    if (name !== 'import')
      assert.match(help, /--pinecone-index <value> +Use this Pinecone index as the store/, `${name} can use Pinecone`);
  }
  const { io, out } = capture();
  assert.equal(await runCli(['--help'], io), 0);
  for (const name of SUBCOMMANDS) assert.ok(out.join('\n').includes(`  ${name} `), `top-level help lists ${name}`);
  // Each command's first sentence, whole: "e.g." does not end it.
  assert.match(
    out.join('\n'),
    /^ {2}rebuild +Rewrite a head's weights from its start point and labels\.jsonl, e\.g\. after a merge\.$/m,
  );
  for (const line of out.filter((l) => /^ {2}[a-z-]+ {2}/.test(l))) assert.doesNotMatch(line, /e\.g\.$/, line);
});

test('usage errors exit 2, user errors exit 1, with the error on stderr', async (t) => {
  const cwd = await tempDir(t);
  let c = capture(cwd);
  assert.equal(await runCli(['frobnicate'], c.io), 2);
  assert.match(c.err.join('\n'), /unknown command "frobnicate"/);

  c = capture(cwd);
  assert.equal(await runCli([], c.io), 2);

  c = capture(cwd);
  assert.equal(await runCli(['import', 'x.npy', '--bogus'], c.io), 2);
  assert.match(c.err.join('\n'), /Unknown option '--bogus'.*vector-tune import --help/s);
  assert.doesNotMatch(c.err.join('\n'), /positional/);

  c = capture(cwd);
  assert.equal(await runCli(['tune', 'hat', '--answers', 'a.csv', '--rounds', 'many'], c.io), 2);
  assert.match(c.err.join('\n'), /--rounds "many" is not a valid number here: give a whole number, 1 or more\./);

  c = capture(cwd);
  assert.equal(await runCli(['rank', 'hat', '--top', '-3'], c.io), 2);
  // One line, one full stop each sentence, and the way to pass a negative value.
  assert.match(
    c.err.join('\n'),
    /^vector-tune rank: Option '--top' argument is ambiguous\. .*use '--top=-XYZ'\. See: vector-tune rank --help$/,
  );

  c = capture(cwd);
  assert.equal(await runCli(['tune', 'hat', '--answers', 'a.csv', '--diverse-similarity', '1.5'], c.io), 2);
  assert.match(c.err.join('\n'), /--diverse-similarity "1.5" is not a valid number/);

  c = capture(cwd);
  assert.equal(await runCli(['start', 'hat', '--prompt', 'a hat', '--learning-rate', '5000'], c.io), 2);
  assert.match(c.err.join('\n'), /--learning-rate 5000: is more than 1000/);

  c = capture(cwd);
  assert.equal(await runCli(['start', 'hat', '--examples', 'a'], c.io), 1);
  assert.match(c.err.join('\n'), /no Vector Tune store here.*Index an image folder or import embeddings first/);
  assert.deepEqual(c.out, []);
});
