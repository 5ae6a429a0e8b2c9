import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { headPathsIn } from '../head/head-folder';
import { readPreviousReport } from './report';

/** What a head's newest evaluation of its current weights says, for exported models and predictions. */
export interface LastReport {
  /** The report's file name stem in the head's reports/ folder. */
  name: string;
  createdAt: string;
  averagePrecision: number | null;
  /** The threshold of the best F1 on that report's data (`logit > threshold` is positive); null without truth. */
  bestF1Threshold: number | null;
}

/**
 * The newest report (by its createdAt) in the head's reports/ folder that measured these very weights (by the
 * weights file's sha256): a report of earlier weights says nothing about these. null when there is none.
 * Unreadable or foreign JSON files in reports/ are passed over, as eval does with a previous report.
 */
export async function lastReportOf(headDir: string, weightsSha256: string): Promise<LastReport | null> {
  const dir = headPathsIn(headDir).reports;
  const names = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  let newest: LastReport | null = null;
  for (const file of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    const { previous: report } = await readPreviousReport(path.join(dir, file));
    if (!report || report.head.weightsSha256 !== weightsSha256) continue;
    if (newest && report.createdAt <= newest.createdAt) continue;
    newest = {
      name: file.slice(0, -'.json'.length),
      createdAt: report.createdAt,
      averagePrecision: report.metrics?.averagePrecision ?? null,
      bestF1Threshold: report.metrics?.atBestF1?.threshold ?? null,
    };
  }
  return newest;
}
