/**
 * What the crash-fault test asks of one victim run, handed over as JSON on the command line, and where each
 * scenario keeps its files inside a trial's folder (the parent and the victim both use these names).
 */
import * as path from 'node:path';

export const SCENARIOS = ['index', 'import', 'tune', 'report', 'copy'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface VictimJob {
  scenario: ScenarioName;
  /** The trial's folder: a copy of the scenario's fixture. */
  dir: string;
  /** The generated CLIP-layout model (index). */
  modelDir?: string;
  /** The imports to run, in order (import): `a`, `b`. */
  parts?: string[];
  /** Labels the tuning victim stops at (default TUNE_LABELS); the report fixture tunes in two steps. */
  labels?: number;
  /** The local Pinecone stand-in, run by the parent so its state outlives the victim (copy). */
  pinecone?: { controllerHostUrl: string; apiKey: string; index: string };
}

/** Labels the tuning victim collects before it stops: the examples, then rounds of ROUND_SIZE. */
export const TUNE_LABELS = 3 + 5 * 10;
export const ROUND_SIZE = 10;
export const HEAD = 'hat';
/** The model id of the imported stores (the features are not CLIP's; the id only has to match). */
export const MODEL_ID = 'fault-test/features';
/** Reports are dated by this instant, so a resumed report can be compared byte for byte. */
export const REPORT_TIME = '2025-01-02T03:04:05.000Z';
export const REPORT_NAMES = ['eval-store-hat', 'eval-test-hat'] as const;

export function layout(dir: string) {
  return {
    photos: path.join(dir, 'photos'),
    store: path.join(dir, 'store'),
    heads: path.join(dir, 'heads'),
    head: path.join(dir, 'heads', HEAD),
    answers: path.join(dir, 'answers.csv'),
    testNpy: path.join(dir, 'test.npy'),
    testCsv: path.join(dir, 'test.csv'),
    npy: (part: string) => path.join(dir, `${part}.npy`),
    csv: (part: string) => path.join(dir, `${part}.csv`),
    /** The copy scenario's destination store (the source is `store`). */
    copyBack: path.join(dir, 'store-back'),
  };
}
