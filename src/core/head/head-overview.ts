import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ReportDocument } from '../eval/compare';
import { readPreviousReport } from '../eval/report';
import { currentLabels } from '../tune/label-history';
import { readLabels } from '../tune/labels-file';
import { headPathsIn, listHeadNames } from './head-folder';
import { readWeights } from './weights-file';

/** A head as a list of heads shows it: what it learnt from, and how its last evaluation went. */
export interface HeadOverview {
  name: string;
  dir: string;
  weightsFile: string;
  labelsFile: string;
  labels: number;
  /** Labels scored above 0 (what the head was told to find). */
  positives: number;
  /** Tuning rounds submitted (round 0, the start examples, not counted). */
  rounds: number;
  modelId: string;
  /** Newest first. */
  reports: ReportOverview[];
  /** Why the head could not be read (a broken weights or labels file), in the file's own words; null when fine. */
  problem: string | null;
}

export interface ReportOverview {
  /** The report's file name stem in the head's reports/ folder. */
  name: string;
  markdownFile: string;
  createdAt: string;
  averagePrecision: number | null;
  /** Average precision minus the previous report's on the same data; null on a first report or other data. */
  averagePrecisionChange: number | null;
  /** What the head was measured on ("folder images (hat vs rest)"). */
  data: string;
}

/** Every head in `headsDir` (sub-folders holding a weights file), by name; a broken one comes with its problem. */
export async function headOverviews(headsDir: string): Promise<HeadOverview[]> {
  return Promise.all((await listHeadNames(headsDir)).map((name) => headOverview(path.join(headsDir, name))));
}

export async function headOverview(dir: string): Promise<HeadOverview> {
  const paths = headPathsIn(dir);
  const overview: HeadOverview = {
    name: path.basename(dir),
    dir,
    weightsFile: paths.weights,
    labelsFile: paths.labels,
    labels: 0,
    positives: 0,
    rounds: 0,
    modelId: '',
    reports: await reportOverviews(paths.reports),
    problem: null,
  };
  try {
    const weights = await readWeights(paths.weights);
    overview.name = weights.name;
    overview.modelId = weights.model.id;
    overview.rounds = weights.labels.rounds;
    // The labels now: a relabel or a removal is a line too, so counting lines overstated them (43 beside 18).
    const labels = [...currentLabels((await readLabels(paths.labels)).labels).values()];
    overview.labels = labels.length;
    overview.positives = labels.filter((l) => l.score > 0).length;
  } catch (err) {
    overview.problem = err instanceof Error ? err.message : String(err);
  }
  return overview;
}

/** The evaluation reports in a head's reports/ folder, newest first; files that are not reports are passed over. */
async function reportOverviews(reportsDir: string): Promise<ReportOverview[]> {
  const names = await fs.readdir(reportsDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const reports: ReportOverview[] = [];
  for (const file of names.filter((n) => n.endsWith('.json') && !n.startsWith('.'))) {
    const { previous } = await readPreviousReport(path.join(reportsDir, file));
    if (!previous) continue;
    const document = previous as ReportDocument; // a written report carries its comparison
    const change = document.comparison?.changes.find((c) => c.key === 'averagePrecision');
    const stem = file.slice(0, -'.json'.length);
    reports.push({
      name: stem,
      markdownFile: path.join(reportsDir, `${stem}.md`),
      createdAt: document.createdAt,
      averagePrecision: document.metrics?.averagePrecision ?? null,
      averagePrecisionChange: change?.delta ?? null,
      data: document.data?.description ?? '',
    });
  }
  return reports.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}
