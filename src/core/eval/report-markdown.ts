import { auditMarkdown } from '../audit/audit-report';
import { Headline, headlineMetrics, MetricChange, type ReportDocument } from './compare';
import type { EvaluationResult, ListedRecord } from './evaluation-result';

/**
 * The Markdown report: plain GFM plus inline <img> for sized thumbnails, which both VS Code's preview and
 * code hosts render. Every link is relative to the report file, so the report works wherever the repo is
 * checked out.
 */
export interface MarkdownLinks {
  /** File names of the charts, beside the report (null: not drawn, e.g. no PR curve without truth). */
  prSvg: string | null;
  scoresSvg: string;
  /** Link from the report to a record's image, or null when there is no image file to link. */
  image(record: ListedRecord): string | null;
  /** Link to its thumbnail beside the report (report-thumbnails.ts), or null: then the image itself is shown. */
  thumbnail(record: ListedRecord): string | null;
  /** Listed images left without a thumbnail by the thumbnails' size limit. */
  thumbnailsOverLimit: number;
}

const THUMBNAIL_WIDTH = 96;

/** The records the report lists with their images: the errors when there is truth, else the top ranked. */
export function shownRecords(r: EvaluationResult): ListedRecord[] {
  return r.metrics ? [...r.falsePositives, ...r.falseNegatives] : r.top;
}

export function renderMarkdown(doc: ReportDocument, links: MarkdownLinks): string {
  const r = doc;
  const lines: string[] = [`# Evaluation of head \`${r.head.name}\``, ''];
  lines.push(...provenance(doc), '');
  if (r.metrics) {
    lines.push('## Summary', '', ...summaryTable(r, doc.comparison?.changes ?? null), '');
    if (doc.comparisonNote) lines.push(`_${plain(doc.comparisonNote)}_`, '');
    lines.push(...confusionTable(r), '');
  } else {
    lines.push(`No truth was given: ${r.data.records} records ranked by the head, best first.`, '');
  }
  if (r.audit) lines.push(...auditMarkdown(r.audit));
  const charts = [
    links.prSvg ? `![Precision-recall curve](${href(links.prSvg)})` : null,
    `![Score histogram](${href(links.scoresSvg)})`,
  ];
  lines.push('## Charts', '', charts.filter(Boolean).join(' '), '');
  if (r.metrics) {
    lines.push(
      ...recordSection(
        'Top false positives',
        `negatives the head scores above logit 0, highest first (${r.metrics.atDecision.confusion.fp} in all)`,
        r.falsePositives,
        links,
      ),
    );
    lines.push(
      ...recordSection(
        'Top false negatives',
        `positives the head scores at or below logit 0, lowest first (${r.metrics.atDecision.confusion.fn} in all)`,
        r.falseNegatives,
        links,
      ),
    );
  } else {
    lines.push(...recordSection(`Top ${r.top.length}`, 'the records the head scores highest', r.top, links));
  }
  if (links.thumbnailsOverLimit > 0) {
    lines.push(
      `_${links.thumbnailsOverLimit} listed images have no thumbnail: the thumbnails' size limit was reached._`,
      '',
    );
  }
  if (r.data.skipped.length > 0) {
    lines.push(
      '## Skipped files',
      '',
      ...r.data.skipped.map((s) => `- \`${code(s.path, false)}\`: ${plain(s.reason)}`),
      '',
    );
  }
  lines.push(
    `<sub>Written by Vector Tune (report format ${r.tool.reportFormatVersion}). Every figure is also in the JSON file beside this report.</sub>`,
    '',
  );
  return lines.join('\n');
}

function provenance(doc: ReportDocument): string[] {
  const r = doc;
  const rows: [string, string][] = [
    ['head', `\`${code(r.head.name, false)}\`: ${r.head.labelsCount} labels in ${r.head.labelsRounds} rounds`],
    ['weights sha256', `\`${r.head.weightsSha256}\``],
    ['model', `\`${code(r.model.id, false)}\` (${r.model.dimension}-d)`],
    [
      'data',
      `${plain(r.data.description)}: ${r.data.records} records${r.data.skipped.length ? `, ${r.data.skipped.length} skipped` : ''}`,
    ],
    [
      'truth',
      r.truth
        ? `${plain(r.truth.description)}${r.truth.unanswered ? ` (${r.truth.unanswered} records without an answer left out)` : ''}`
        : 'none',
    ],
    ['created', r.createdAt],
  ];
  const c = doc.comparison;
  if (c)
    rows.push([
      'compared with',
      `the previous report of ${c.previous.createdAt} (weights \`${c.previous.weightsSha256.slice(0, 12)}\`, ${c.previous.labelsCount} labels)`,
    ]);
  return rows.map(([k, v]) => `- **${k}**: ${v}`);
}

function summaryTable(r: EvaluationResult, changes: MetricChange[] | null): string[] {
  const byKey = new Map((changes ?? []).map((c) => [c.key, c]));
  const rows = headlineMetrics(r.metrics!).map(
    (h) => `| ${h.label} | ${formatValue(h, r)} | ${formatDelta(h, byKey.get(h.key))} |`,
  );
  return ['| metric | value | change |', '|---|---:|---:|', ...rows];
}

function formatValue(h: Headline, r: EvaluationResult): string {
  if (h.value === null) return 'n/a';
  if (h.key === 'positives') return `${h.value} (${(100 * r.metrics!.baseRate).toFixed(1)}%)`;
  return h.integer ? String(h.value) : h.value.toFixed(4);
}

/** Signed change; "±0" for unchanged, "–" when there is nothing to compare with. */
export function formatDelta(h: Pick<Headline, 'integer'>, change: MetricChange | undefined): string {
  if (!change || change.delta === null) return '–';
  const d = h.integer ? Math.round(change.delta) : Number(change.delta.toFixed(4));
  if (d === 0) return '±0';
  const text = h.integer ? String(Math.abs(d)) : Math.abs(d).toFixed(4);
  return d > 0 ? `+${text}` : `−${text}`;
}

function confusionTable(r: EvaluationResult): string[] {
  const m = r.metrics!;
  const c = m.atDecision.confusion;
  return [
    '**Confusion matrix at logit 0** (predicted positive when the logit is above 0):',
    '',
    '| | predicted positive | predicted negative |',
    '|---|---:|---:|',
    `| **positive** (${m.positives}) | ${c.tp} (TP) | ${c.fn} (FN) |`,
    `| **negative** (${m.negatives}) | ${c.fp} (FP) | ${c.tn} (TN) |`,
  ];
}

function recordSection(title: string, what: string, records: ListedRecord[], links: MarkdownLinks): string[] {
  const out = [`## ${title}`, '', `${what[0].toUpperCase()}${what.slice(1)}.`, ''];
  if (records.length === 0) return [...out, 'None.', ''];
  const shown = (rec: ListedRecord) => links.thumbnail(rec) ?? links.image(rec);
  const withImages = records.some((rec) => shown(rec) !== null);
  out.push(withImages ? '| | record | logit |' : '| record | logit |', withImages ? '|---|---|---:|' : '|---|---:|');
  for (const rec of records) {
    const src = shown(rec);
    // The thumbnail links to the image itself where there is one (it opens in the preview, or in the
    // repository when the image is committed).
    const target = links.image(rec) ?? src;
    const thumb = src
      ? `<a href="${attr(href(target!))}"><img src="${attr(href(src))}" width="${THUMBNAIL_WIDTH}" alt="${attr(rec.id)}"></a>`
      : '';
    const name = `\`${code(rec.id)}\``;
    out.push(withImages ? `| ${thumb} | ${name} | ${rec.logit.toFixed(4)} |` : `| ${name} | ${rec.logit.toFixed(4)} |`);
  }
  return [...out, ''];
}

/** A relative path as a URL: each segment percent-encoded (spaces, #, ?), parentheses too (Markdown link ends). */
export function href(relative: string): string {
  return relative
    .split('/')
    .map((s) => (s === '..' || s === '.' ? s : encodeURIComponent(s).replace(/\(/g, '%28').replace(/\)/g, '%29')))
    .join('/');
}

/** An HTML attribute value inside a table row: a bare | would split the cell even there (GFM), so it is an entity too. */
function attr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/\|/g, '&#124;');
}

/** Free text: a bare | would end a table cell (escaping it is harmless elsewhere), < would start HTML. */
function plain(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;');
}

/** Text for a code span: backticks would end the span, so they become quotes; in a table, | is escaped (GFM). */
function code(text: string, inTable = true): string {
  const quoted = text.replace(/`/g, "'");
  return inTable ? quoted.replace(/\|/g, '\\|') : quoted;
}
