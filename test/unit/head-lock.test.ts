/**
 * One writer per head, on both stores: while the extension's engine (in another process) has a head open, CLI
 * commands that write it are refused naming the holder's program, pid and start time; once that process is killed
 * without closing, the next command takes its stale lock over. On Pinecone there is no store lock to lean on: the
 * head's own lock is what keeps two writers apart.
 */
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { CliIo } from '../../src/cli/command';
import { runCli } from '../../src/cli/main';
import { DEFAULT_TRAINING } from '../../src/core/head/linear-head';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import type { EngineConfig } from '../../src/protocol/worker-protocol';
import { startFakePinecone, type FakePinecone } from '../helpers/fake-pinecone';
import { seedIndex } from '../helpers/pinecone-rounds';
import { seededRecords } from '../helpers/store-reference';
import { REPO_ROOT, tempDir } from '../helpers/temp';

const HOLDER = path.join(REPO_ROOT, 'test/helpers/hold-head.ts');
const D = 16;
let fake: FakePinecone;

before(async () => {
  fake = await startFakePinecone();
});
after(() => fake.close());

function holdHead(config: EngineConfig, headDir: string, dir: string): Promise<{ child: ChildProcess; pid: number }> {
  const configFile = path.join(dir, 'engine-config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, configFile, headDir], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^open (\d+)/m.exec(out);
      if (m) resolve({ child, pid: Number(m[1]) });
      else if (/^error /m.test(out)) reject(new Error(out));
    });
    child.on('exit', (code) => reject(new Error(`holder exited with ${code}: ${out}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );
}

for (const kind of ['embedded', 'pinecone'] as const) {
  test(`${kind} store: a head open in the engine refuses CLI writers; a killed holder's lock is taken over`, async (t) => {
    const ws = await tempDir(t);
    const records = seededRecords(60, D, 3);
    const storeDir = path.join(ws, '.vectortune/store');
    const indexName = `head-lock-${kind}`;
    if (kind === 'embedded') {
      const store = await EmbeddedStore.openOrCreate(storeDir, { modelId: 'test/lock', dimension: D });
      await store.upsert(records);
      await store.close();
    } else {
      await seedIndex(fake, indexName, records, 'test/lock');
    }
    const where =
      kind === 'embedded' ? [] : ['--pinecone-index', indexName, '--pinecone-controller-host', fake.controllerHostUrl];
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      cwd: ws,
      env: { PINECONE_API_KEY: fake.apiKey },
    };
    const cli = async (args: string[]) => {
      out.length = 0;
      err.length = 0;
      return runCli([...args, ...where], io);
    };
    assert.equal(await cli(['start', 'h', '--examples', 'r1,r2']), 0, err.join('\n'));
    const answers = path.join(ws, 'answers.csv');
    fs.writeFileSync(answers, 'path,score\n' + records.map((r, i) => `${r.id},${i % 2 ? 1 : -1}`).join('\n') + '\n');
    const headDir = path.join(ws, 'vectortune/heads/h');

    const config: EngineConfig = {
      workspaceRoot: ws,
      storeDir,
      headsDir: path.join(ws, 'vectortune/heads'),
      model: { ref: 'unused/no-model', cacheDir: path.join(ws, '.cache'), allowDownload: false },
      training: { ...DEFAULT_TRAINING },
      ...(kind === 'pinecone'
        ? {
            pinecone: {
              indexName,
              cloud: 'aws',
              region: 'us-east-1',
              controllerHostUrl: fake.controllerHostUrl,
              apiKey: fake.apiKey,
            },
          }
        : {}),
    };
    const holder = await holdHead(config, headDir, ws);
    try {
      const refusal = new RegExp(
        `writer\\.lock: the head "h" is open for writing in another Vector Tune process \\(hold-head\\.ts, pid ${holder.pid}, since `,
      );
      const tune = ['tune', 'h', '--answers', answers, '--score-column', 'score', '--rounds', '1', '--batch', '3'];
      assert.equal(await cli(tune), 1);
      assert.match(err.join('\n'), refusal);
      assert.equal(await cli(['reset-seen', 'h']), 1);
      assert.match(err.join('\n'), refusal);
      assert.equal(
        await cli(['start', 'h', '--examples', 'r3', '--force']),
        1,
        'replacing the open head is refused too',
      );
      assert.match(err.join('\n'), refusal);
      assert.equal(
        fs.readFileSync(path.join(headDir, 'labels.jsonl'), 'utf8').trim().split('\n').length,
        2,
        'untouched',
      );

      holder.child.kill('SIGKILL');
      await exited(holder.child);
      assert.equal(await cli(tune), 0, err.join('\n'));
      assert.match(out.join('\n'), /^round 1: /m);
      assert.equal(fs.existsSync(path.join(headDir, '.local/writer.lock')), false, 'released when the command ends');
      assert.equal(fs.readFileSync(path.join(headDir, '.local/.gitignore'), 'utf8').split('\n')[1], '*');
    } finally {
      holder.child.kill('SIGKILL');
      await exited(holder.child);
    }
  });
}
