import * as path from 'node:path';
import { DEFAULT_TRAINING, TrainingSettings } from '../../src/core/head/linear-head';
import { DIVERSE_DEFAULTS } from '../../src/core/tune/diverse';
import type { ClothingHeldOut } from './data';

/** The benchmark's knobs; the defaults are the published run (about 5 minutes on 2 cores). */
export interface Options {
  seeds: number;
  /** Labels the strategies get after the start examples (rounded to whole batches). */
  budget: number;
  /** Random sampling runs this many times longer, so its label cost is measured rather than bounded. */
  randomFactor: number;
  batch: number;
  /** Start examples (positives) per seed. */
  starts: number;
  classes: string[];
  /** Training settings over the engine's defaults (`--set key=value`), for before/after runs. */
  settings: Partial<TrainingSettings>;
  /** Clothing's held-out split(s): the test split (the benchmark), or validation+test (less noisy AP). */
  clothingHeld: ClothingHeldOut;
  /** Cosine similarity at which the -diverse strategies count two records as near-duplicates. */
  diverseSimilarity: number;
  /** Audit samples drawn of each run's final head, and their size (issue 19: estimates against the truth). */
  auditDraws: number;
  auditSize: number;
  /** Only these methods (default: all). */
  methods?: string[];
  /** Worker processes (default: one per core). */
  workers: number;
  out: string;
}

export const CLASSES = ['hat', 'skirt', 'ship'];

export function parseArgs(argv: string[], cores: number): Options {
  const o: Options = {
    seeds: 5,
    budget: 300,
    randomFactor: 5,
    batch: 10,
    starts: 3,
    classes: CLASSES,
    settings: {},
    clothingHeld: 'test',
    diverseSimilarity: DIVERSE_DEFAULTS.maxSimilarity,
    auditDraws: 10,
    auditSize: 200,
    workers: cores,
    out: path.resolve(__dirname, '..', '..', 'bench-results', 'label-efficiency'),
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = (): number => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer`);
      return n;
    };
    if (flag === '--seeds') o.seeds = count();
    else if (flag === '--budget') o.budget = count();
    else if (flag === '--random-factor') o.randomFactor = count();
    else if (flag === '--batch') o.batch = count();
    else if (flag === '--workers') o.workers = count();
    else if (flag === '--audit-draws') o.auditDraws = count();
    else if (flag === '--audit-size') o.auditSize = count();
    else if (flag === '--methods') o.methods = value().split(',');
    else if (flag === '--diverse-similarity') {
      o.diverseSimilarity = Number(value());
      if (!(o.diverseSimilarity > -1 && o.diverseSimilarity <= 1))
        throw new Error('--diverse-similarity takes a cosine similarity in (-1, 1]');
    } else if (flag === '--out') o.out = path.resolve(value());
    else if (flag === '--clothing-held') {
      const v = value();
      if (v !== 'test' && v !== 'validation+test') throw new Error('--clothing-held takes test or validation+test');
      o.clothingHeld = v;
    } else if (flag === '--classes') {
      o.classes = value().split(',');
      const unknown = o.classes.filter((c) => !CLASSES.includes(c));
      if (unknown.length > 0) throw new Error(`--classes: unknown ${unknown.join(', ')}; known: ${CLASSES.join(', ')}`);
    } else if (flag === '--set') {
      const [key, text = ''] = value().split('=');
      if (!(key in DEFAULT_TRAINING))
        throw new Error(`--set: unknown training setting "${key}"; known: ${Object.keys(DEFAULT_TRAINING).join(', ')}`);
      const n = Number(text);
      (o.settings as Record<string, unknown>)[key] = text.trim() !== '' && Number.isFinite(n) ? n : text;
    } else if (flag === '--help' || flag === '-h') {
      console.log(
        'npx tsx bench/label-efficiency/main.ts [--seeds 5] [--budget 300] [--random-factor 5] [--batch 10] [--classes hat,skirt,ship] [--set key=value]... [--clothing-held test|validation+test] [--diverse-similarity 0.9] [--audit-draws 10] [--audit-size 200] [--methods top,...,random] [--workers N] [--out dir]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${flag} (see --help)`);
  }
  return o;
}

/** Rounds the strategies run, and the label counts (start examples included) their budget and random's reach. */
export function budgets(o: Options): { rounds: number; randomRounds: number; common: number; random: number } {
  const rounds = Math.round(o.budget / o.batch);
  const randomRounds = rounds * o.randomFactor;
  return { rounds, randomRounds, common: o.starts + rounds * o.batch, random: o.starts + randomRounds * o.batch };
}
