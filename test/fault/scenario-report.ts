/**
 * Writing evaluation reports: the tuned head evaluated on the store and on held-out raw embeddings, each report
 * (Markdown, JSON, two SVG charts) replacing the one an earlier version of the head left and comparing with it.
 *
 * A report depends only on the head, the data and the previous report's JSON (its time is pinned), so the versions a
 * report passes through form a chain: the fixture's, then one run's, then a second run's (which compares with the
 * first), and so on. A run starting from version i must move each file to version i+1 or leave it, never anything
 * else; once the new JSON is in place the whole new report is (the JSON is written last, as the next run's baseline);
 * an acknowledged report is complete; and the run after the kills writes version i+1 of whatever JSON it found.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { headPathsIn } from '../../src/core/head/head-folder';
import { buildClothingWorkspace } from './clothing-fixture';
import { layout, REPORT_NAMES, type VictimJob } from './job';
import { compareJson, problem, type Problem, type Scenario } from './scenario';
import { compareFiles, listFiles } from './store-state';

type Version = Record<string, string | null>;
type Versions = Record<string, Version>;

const filesOf = (name: string) => [`${name}.md`, `${name}-pr.svg`, `${name}-scores.svg`, `${name}.json`];

async function readVersions(dir: string): Promise<Versions> {
  const reports = headPathsIn(layout(dir).head).reports;
  const out: Versions = {};
  for (const name of REPORT_NAMES) {
    out[name] = {};
    for (const f of filesOf(name)) out[name][f] = await fs.readFile(path.join(reports, f), 'utf8').catch(() => null);
  }
  return out;
}

export function reportScenario(): Scenario {
  /** Per report, the versions of its files: the fixture's, then after one, two and three uninterrupted runs. */
  const chain: Record<string, Version[]> = {};
  let reportFiles: string[];
  const reportsDir = (dir: string) => headPathsIn(layout(dir).head).reports;

  /** The version a run starting from `start` writes, or null when its JSON is none the chain knows. */
  const target = (name: string, start: Version): Version | null => {
    const i = chain[name].findIndex((v) => v[`${name}.json`] === start[`${name}.json`]);
    return i >= 0 && i + 1 < chain[name].length ? chain[name][i + 1] : null;
  };

  return {
    name: 'report',
    async setup(ctx) {
      await buildClothingWorkspace(ctx.fixture);
      // The reports the fixture holds are of the head at 23 labels; trials evaluate it at 53.
      await ctx.runClean({ scenario: 'tune', dir: ctx.fixture, labels: 23 });
      await ctx.runClean(this.job(ctx.fixture, 0));
      await ctx.runClean({ scenario: 'tune', dir: ctx.fixture });
      const ref = path.join(ctx.scratch, 'reference');
      await ctx.copy(ctx.fixture, ref);
      const versions = [await readVersions(ref)];
      const runs = [];
      for (let i = 0; i < 3; i++) {
        runs.push(await ctx.runClean(this.job(ref, 0), i === 0));
        versions.push(await readVersions(ref));
        if (i === 0) reportFiles = await listFiles(reportsDir(ref));
      }
      for (const name of REPORT_NAMES) chain[name] = versions.map((v) => v[name]);
      return runs[0];
    },
    job: (dir): VictimJob => ({ scenario: 'report', dir }),
    startState: (dir) => readVersions(dir),
    async afterKill(dir, _acks, start, _job, runAcks) {
      const now = await readVersions(dir);
      const problems: Problem[] = [];
      for (const name of REPORT_NAMES) {
        const from = (start as Versions)[name];
        const to = target(name, from);
        if (!to) {
          problems.push(problem('torn', `${name}.json at the start of the run was no version a run wrote`));
          continue;
        }
        for (const f of filesOf(name)) {
          if (now[name][f] !== from[f] && now[name][f] !== to[f])
            problems.push(problem('torn', `${f} is neither the report before the run nor the one it was writing`));
        }
        const stale = filesOf(name).filter((f) => now[name][f] !== to[f]);
        const jsonNew = now[name][`${name}.json`] === to[`${name}.json`] && from[`${name}.json`] !== to[`${name}.json`];
        if (jsonNew && stale.length > 0)
          problems.push(problem('torn', `the new ${name}.json is in place before ${stale.join(', ')}`));
        if (runAcks.includes(`report ${name}`) && stale.length > 0)
          problems.push(
            problem('lost', `report ${name} was acknowledged but ${stale.join(', ')} is not the new version`),
          );
      }
      return problems;
    },
    async afterResume(dir, start) {
      const now = await readVersions(dir);
      const problems: Problem[] = [];
      for (const name of REPORT_NAMES) {
        const to = target(name, (start as Versions)[name]);
        if (!to) problems.push(problem('mismatch', `${name}.json before the resumed run was no version a run wrote`));
        else problems.push(...compareJson(`report ${name}`, now[name], to));
      }
      return [...problems, ...(await compareFiles('reports folder files', reportsDir(dir), reportFiles))];
    },
  };
}
