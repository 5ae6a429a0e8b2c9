/**
 * Ranking metrics for a binary head. `scores` are logits (higher = more positive), `truth` the real classes.
 * Ties are handled as groups, so the result does not depend on the input order.
 */

/** Average precision: the area under the precision-recall step curve (sklearn's definition). */
export function averagePrecision(scores: ArrayLike<number>, truth: ArrayLike<boolean>): number {
  const positives = countTrue(truth);
  if (positives === 0) return NaN;
  let ap = 0;
  let tp = 0;
  let seen = 0;
  for (const group of tiedGroupsDescending(scores)) {
    for (const i of group) if (truth[i]) tp++;
    seen += group.length;
    const groupPositives = group.filter((i) => truth[i]).length;
    ap += (groupPositives / positives) * (tp / seen);
  }
  return ap;
}

/** ROC-AUC: the probability that a random positive outscores a random negative (ties count half). */
export function rocAuc(scores: ArrayLike<number>, truth: ArrayLike<boolean>): number {
  const positives = countTrue(truth);
  const negatives = truth.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  let rankSum = 0;
  let rank = 1;
  const ascending = tiedGroupsDescending(scores).reverse();
  for (const group of ascending) {
    const midRank = rank + (group.length - 1) / 2;
    for (const i of group) if (truth[i]) rankSum += midRank;
    rank += group.length;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function countTrue(truth: ArrayLike<boolean>): number {
  let n = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i]) n++;
  return n;
}

/** Indices grouped by equal score, highest score first: every threshold metric moves a whole group at once. */
export function tiedGroupsDescending(scores: ArrayLike<number>): number[][] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const groups: number[][] = [];
  for (const i of order) {
    const last = groups[groups.length - 1];
    if (last && scores[last[0]] === scores[i]) last.push(i);
    else groups.push([i]);
  }
  return groups;
}
