/**
 * The five pieces of work the crash-fault test interrupts, each as a user or script would run it through the real
 * engine. Each prints `ready` when its real work starts (the parent's timed kills count from there) and an `ack-...`
 * line synchronously after every step whose success a user would see; whatever was acknowledged must survive a kill.
 * Run again on the same folder, each must finish the job to the same result as a run that was never interrupted.
 */
import { loadClip } from '../../src/core/embed/clip';
import { evaluateHead, readHeadForEvaluation } from '../../src/core/eval/evaluate';
import type { EvaluationData } from '../../src/core/eval/evaluation-data';
import { writeReport } from '../../src/core/eval/report';
import type { TruthSpec } from '../../src/core/eval/truth';
import { fileExists } from '../../src/core/fs/durable';
import { headPathsIn } from '../../src/core/head/head-folder';
import { importEmbeddings } from '../../src/core/ingest/import-embeddings';
import { indexFolder } from '../../src/core/ingest/index-folder';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { readAnswerSheet } from '../../src/core/tune/answer-sheet';
import { TuningSession } from '../../src/core/tune/session';
import { say } from './fault-hook';
import { weightsDigest } from './weights-digest';
import {
  HEAD,
  layout,
  MODEL_ID,
  REPORT_NAMES,
  REPORT_TIME,
  ROUND_SIZE,
  TUNE_LABELS,
  type ScenarioName,
  type VictimJob,
} from './job';

/** Indexes the trial's photo folder (some files new, some changed, some deleted since the fixture's index run). */
async function indexPhotos(job: VictimJob): Promise<void> {
  const l = layout(job.dir);
  // One onnxruntime thread: the same vectors bit for bit in every run, and two trials share the two cores.
  const embedder = await loadClip(job.modelDir!, { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
  say('ready');
  const report = await indexFolder({ folder: l.photos, root: job.dir, storeDir: l.store, embedder, batchSize: 3 });
  say(`ack-indexed ${JSON.stringify({ added: report.added, updated: report.updated, removed: report.removed })}`);
  await embedder.dispose();
}

/** Imports `a` (creating the store), then `b` (new rows and replacements of some of a's). */
async function importParts(job: VictimJob): Promise<void> {
  const l = layout(job.dir);
  say('ready');
  for (const part of job.parts ?? ['a', 'b']) {
    await importEmbeddings({
      npyFile: l.npy(part),
      csvFile: l.csv(part),
      storeDir: l.store,
      modelId: MODEL_ID,
      idColumn: 'id',
      pathColumn: 'path',
      centre: true,
    });
    say(`ack-import ${part}`);
  }
}

/** Starts the head from three hat examples (unless it exists), then tunes rounds answered from the truth. */
async function tuneHead(job: VictimJob): Promise<void> {
  const l = layout(job.dir);
  const truth = await readAnswerSheet({ file: l.answers, idColumn: 'id', labelColumn: 'label', positive: 'hat' });
  say('ready');
  const store = await EmbeddedStore.open(l.store);
  let session: TuningSession;
  if (await fileExists(headPathsIn(l.head).weights)) {
    const opened = await TuningSession.open(l.head, store);
    session = opened.session;
    for (const repair of opened.repairs) say(`repair ${repair}`);
  } else {
    const examples = [...truth]
      .filter(([, score]) => score > 0)
      .slice(0, 3)
      .map(([id]) => id);
    session = await TuningSession.create({
      headsDir: l.heads,
      name: HEAD,
      store,
      start: { kind: 'examples', ids: examples },
    });
    say(`ack-labels ${JSON.stringify(examples.map((id) => ({ id, score: 1 })))}`);
    say(`ack-weights ${weightsDigest(session.currentWeights)}`);
  }
  while (session.labelCount < (job.labels ?? TUNE_LABELS)) {
    const batch = await session.nextBatch(ROUND_SIZE, 'top');
    const verdicts = batch.map((c) => ({ id: c.id, score: truth.get(c.id)! }));
    await session.submit(verdicts);
    say(`ack-labels ${JSON.stringify(verdicts)}`);
    say(`ack-weights ${weightsDigest(session.currentWeights)}`);
  }
  await store.close();
}

/** `vector-tune eval` twice over: on the store, and on held-out raw embeddings, each writing its report. */
async function writeReports(job: VictimJob): Promise<void> {
  const l = layout(job.dir);
  const head = await readHeadForEvaluation(headPathsIn(l.head).weights);
  const truth: TruthSpec = {
    kind: 'answers',
    sheet: { file: l.answers, idColumn: 'id', labelColumn: 'label', positive: 'hat' },
  };
  say('ready');
  // As `vector-tune eval` opens it (store-location.ts), without loading the Pinecone SDK that module also serves.
  const store = await EmbeddedStore.open(l.store);
  const sources: EvaluationData[] = [
    { kind: 'store', store },
    {
      kind: 'embeddings',
      npyFile: l.testNpy,
      csvFile: l.testCsv,
      idColumn: 'id',
      where: [{ column: 'split', value: 'test' }],
    },
  ];
  for (const [i, data] of sources.entries()) {
    const result = await evaluateHead({ head, data, root: job.dir, truth, now: new Date(REPORT_TIME) });
    await writeReport(l.head, result, { root: job.dir, name: REPORT_NAMES[i] });
    say(`ack-report ${REPORT_NAMES[i]}`);
  }
  await store.close();
}

export const VICTIMS: Record<ScenarioName, (job: VictimJob) => Promise<void>> = {
  index: indexPhotos,
  import: importParts,
  tune: tuneHead,
  report: writeReports,
  // Loaded only for its scenario: the Pinecone SDK takes longer to load than most trials take to run.
  copy: async (job) => (await import('./victim-copy')).copyThroughPinecone(job),
};
