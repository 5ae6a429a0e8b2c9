import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { fileExists, removeDeadWritersTemporaries, writeFileAtomic } from '../fs/durable';
import { headPathsIn } from '../head/head-folder';
import { type Comparison, compareResults, type ReportDocument } from './compare';
import { EvaluationResult, ListedRecord, REPORT_FORMAT, REPORT_FORMAT_VERSION } from './evaluation-result';
import { prCurveSvg } from './pr-chart';
import { renderMarkdown, shownRecords } from './report-markdown';
import {
  DEFAULT_THUMBNAILS_MAX_BYTES,
  removeThumbnailsExcept,
  thumbnailsFolder,
  writeThumbnails,
} from './report-thumbnails';
import { scoreHistogramSvg } from './score-chart';

/**
 * Reports live in the head's folder, `<head>/reports/<name>.{json,md}` with `<name>-pr.svg` and
 * `<name>-scores.svg`. The name is derived from the data and the truth (`eval-<data>-<class>`), and each
 * run on the same data overwrites its report: the repo's history is the report's history, and `git diff`
 * shows exactly what a change to the head did. The previous JSON is read before it is overwritten, and
 * every metric's change against it is written into the new report.
 */
export interface ReportOptions {
  /** Workspace root that record paths are relative to (to link the images from the report). */
  root: string;
  /** File name stem; by default `defaultReportName(result)`. */
  name?: string;
  /**
   * Thumbnails of the listed images beside the report (report-thumbnails.ts), at most this many bytes in all
   * (default DEFAULT_THUMBNAILS_MAX_BYTES); false: none, the report links the images themselves.
   */
  thumbnails?: number | false;
}

export interface WrittenReport {
  name: string;
  files: { markdown: string; json: string; prSvg: string | null; scoresSvg: string; thumbnails: string | null };
  /** The report this one replaced, as read before writing (null on a first run). */
  previous: EvaluationResult | null;
  comparison: Comparison | null;
  comparisonNote: string | null;
}

const REPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function defaultReportName(result: EvaluationResult): string {
  const d = result.data;
  const data =
    d.kind === 'folder'
      ? d.folder === '.'
        ? 'workspace'
        : d.folder
      : d.kind === 'embeddings'
        ? [path.posix.basename(d.npy, '.npy'), ...d.where].join('-')
        : 'store';
  const parts = [data, result.truth?.positive ?? ''].map(slug).filter(Boolean);
  // The tail of a long path names it best (the parent folders are usually shared).
  return `eval-${parts.join('-').slice(-80).replace(/^-+/, '')}`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export async function writeReport(
  headDir: string,
  result: EvaluationResult,
  options: ReportOptions,
): Promise<WrittenReport> {
  const name = options.name ?? defaultReportName(result);
  if (!REPORT_NAME.test(name)) {
    throw new VectorTuneError(
      `"${name}" is not a valid report name.`,
      undefined,
      'Use letters, digits, ".", "_" or "-" (it becomes a file name).',
    );
  }
  const dir = headPathsIn(headDir).reports;
  const files = {
    markdown: path.join(dir, `${name}.md`),
    json: path.join(dir, `${name}.json`),
    prSvg: path.join(dir, `${name}-pr.svg`),
    scoresSvg: path.join(dir, `${name}-scores.svg`),
  };
  const { previous, note } = await readPreviousReport(files.json);
  const compared = compareResults(result, previous);
  const doc: ReportDocument = { ...result, comparison: compared.comparison, comparisonNote: note ?? compared.note };

  await removeDeadWritersTemporaries(dir); // left by a report write that was killed
  const pr = prCurveSvg(result);
  if (pr) await writeFileAtomic(files.prSvg, pr);
  await writeFileAtomic(files.scoresSvg, scoreHistogramSvg(result));
  const listed = shownRecords(result);
  const images = await imageLinks(listed, options.root, dir);
  const thumbs =
    options.thumbnails === false
      ? null
      : await writeThumbnails(listed, options.root, dir, name, options.thumbnails ?? DEFAULT_THUMBNAILS_MAX_BYTES);
  const markdown = renderMarkdown(doc, {
    prSvg: pr ? path.basename(files.prSvg) : null,
    scoresSvg: path.basename(files.scoresSvg),
    image: (r) => (r.path !== undefined ? (images.get(r.path) ?? null) : null),
    thumbnail: (r) => (r.path !== undefined ? (thumbs?.links.get(r.path) ?? null) : null),
    thumbnailsOverLimit: thumbs?.overLimit ?? 0,
  });
  await writeFileAtomic(files.markdown, markdown);
  // The JSON last: it is the next run's baseline, so it only changes once the rest of the report is written.
  await writeFileAtomic(files.json, JSON.stringify(doc, null, 1) + '\n');
  // Thumbnails the previous report showed and this one does not: removed only now that nothing links them.
  const thumbsDir = thumbnailsFolder(dir, name);
  await removeThumbnailsExcept(thumbsDir, new Set([...(thumbs?.links.values() ?? [])].map((l) => path.basename(l))));
  return {
    name,
    files: { ...files, prSvg: pr ? files.prSvg : null, thumbnails: thumbs && thumbs.links.size > 0 ? thumbsDir : null },
    previous,
    comparison: doc.comparison,
    comparisonNote: doc.comparisonNote,
  };
}

/** A previous report that is missing is a first run; one that is unreadable or newer is noted, never fatal. */
export async function readPreviousReport(
  file: string,
): Promise<{ previous: EvaluationResult | null; note: string | null }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { previous: null, note: null };
    return { previous: null, note: `the previous report could not be read (${(err as NodeJS.ErrnoException).code}).` };
  }
  let raw: Partial<EvaluationResult>;
  try {
    raw = JSON.parse(text) as Partial<EvaluationResult>; // checked field by field below
  } catch {
    return { previous: null, note: 'the previous report is not valid JSON, so it was not compared with.' };
  }
  if (raw?.format !== REPORT_FORMAT || typeof raw.version !== 'number' || !raw.head || !raw.data || !raw.model) {
    return {
      previous: null,
      note: 'the previous report is not a Vector Tune evaluation, so it was not compared with.',
    };
  }
  if (raw.version > REPORT_FORMAT_VERSION) {
    return {
      previous: null,
      note: `the previous report has a newer format (${raw.version}), so it was not compared with.`,
    };
  }
  return { previous: raw as EvaluationResult, note: null };
}

/** Links (relative to the reports folder) to the images that exist; a missing file gets no link rather than a broken one. */
async function imageLinks(records: ListedRecord[], root: string, reportsDir: string): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  const paths = [...new Set(records.map((r) => r.path).filter((p): p is string => p !== undefined))];
  await Promise.all(
    paths.map(async (p) => {
      const file = path.resolve(root, p);
      if (await fileExists(file)) links.set(p, path.relative(reportsDir, file).split(path.sep).join('/'));
    }),
  );
  return links;
}
