import type { Problem } from './scenario';

/**
 * Faults this test found in code that other work owns at the time of writing, counted apart from failures and shown as
 * `todo` tests until they are fixed: each entry names the check it excuses as narrowly as it can. Remove an entry when
 * its todo test starts passing; every problem it no longer matches then fails the run again.
 *
 * An entry is accepted only with a reason and a link to where it is tracked (refusedKnownIssues): one without them
 * excuses nothing, and the crash-fault test run fails naming it.
 */
export interface KnownIssue {
  id: string;
  /** What goes wrong, where, and what it costs the user. */
  reason: string;
  /** Where it is tracked: an issue reference (`issue 15`, `#15`) or an http(s) URL. */
  tracked: string;
  matches(p: Problem): boolean;
}

export const KNOWN_ISSUES: KnownIssue[] = [
  // All three found so far are fixed: the torn writer lock, the store leftovers and the partial round.
];

const ISSUE_REFERENCE = /^(issue\s+#?|#)\d+$/i;

/** Whether `tracked` says where an issue is tracked: `issue 15`, `issue #15`, `#15`, or an http(s) URL. */
export function isTrackingLink(tracked: unknown): boolean {
  if (typeof tracked !== 'string') return false;
  const text = tracked.trim();
  if (ISSUE_REFERENCE.test(text)) return true;
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Why each entry of `issues` is refused (no reason, or no link to where it is tracked), naming it; empty when all are accepted. */
export function refusedKnownIssues(issues: readonly Partial<KnownIssue>[]): string[] {
  return issues.flatMap((issue, index) => {
    const name = typeof issue.id === 'string' && issue.id.trim() ? `"${issue.id}"` : `#${index + 1} (no id)`;
    const why: string[] = [];
    if (typeof issue.reason !== 'string' || !issue.reason.trim()) why.push('no reason');
    if (!isTrackingLink(issue.tracked))
      why.push(
        issue.tracked === undefined || issue.tracked === ''
          ? 'no "tracked" link'
          : `"tracked" is ${JSON.stringify(issue.tracked)}, not an issue reference (issue 15, #15) or an http(s) URL`,
      );
    return why.length ? [`known issue ${name}: ${why.join('; ')}`] : [];
  });
}

/** The known issue a problem is, if any. Refused entries excuse nothing. */
export function knownIssueOf(p: Problem, issues: readonly KnownIssue[] = KNOWN_ISSUES): KnownIssue | undefined {
  return issues.find((k) => refusedKnownIssues([k]).length === 0 && k.matches(p));
}
