#!/usr/bin/env bash
# Guards the Vector Tune heads committed in a repository: every head under $HEADS_DIR is evaluated on the same
# held-out set and fails when its average precision is below MIN_AP or fell by more than MAX_DROP against its
# report on the base branch. Exit 0: every head passed; 1: the summary names each head that failed; 2: a usage
# error. Copy it into your repository (e.g. ci/guard-heads.sh) and run it from the repository's root; the GitHub
# Actions workflow beside it (github-actions.yml) is one way to run it on every pull request.
#
# Held-out data, one of:
#   HELDOUT_NPY, HELDOUT_CSV   embeddings committed as .npy + CSV (small; no model needed), labels in
#                              LABEL_COLUMN (default: label), optionally HELDOUT_WHERE (e.g. split=test)
#   HELDOUT_FOLDER             images in class sub-folders, embedded with the heads' model (VECTOR_TUNE_MODEL,
#                              else each head's own; cache ~/.cache/vector-tune/models between runs)
# Each head's positive class is its own name (POSITIVE_OF="hat-v2=hat skirt-2=skirt" maps others).
# MIN_AP (default 0.5), MAX_DROP (default 0.02), HEADS_DIR (default vectortune/heads).
# BASE_REF (default origin/main): the reports each head is compared with are that commit's, not the ones this
#   branch committed, so a change cannot lower its own bar by committing a new report.
# SUMMARY (default vector-tune-summary.md): the summary table as Markdown (also appended to the GitHub job
#   summary when GITHUB_STEP_SUMMARY is set). The reports are written into $HEADS_DIR/<head>/reports/.
# VECTOR_TUNE (default "npx --no-install vector-tune": @vector-tune/cli from the repository's devDependencies).
set -euo pipefail

HEADS_DIR="${HEADS_DIR:-vectortune/heads}"
MIN_AP="${MIN_AP:-0.5}"
MAX_DROP="${MAX_DROP:-0.02}"
BASE_REF="${BASE_REF:-origin/main}"
SUMMARY="${SUMMARY:-vector-tune-summary.md}"
read -r -a vector_tune <<< "${VECTOR_TUNE:-npx --no-install vector-tune}"

say() { printf 'guard-heads: %s\n' "$*" >&2; }

args=(eval --all --heads "$HEADS_DIR" --min-ap "$MIN_AP" --max-drop "$MAX_DROP" --summary "$SUMMARY")
if [ -n "${HELDOUT_NPY:-}" ]; then
  [ -n "${HELDOUT_CSV:-}" ] || { say "HELDOUT_NPY needs HELDOUT_CSV (the CSV naming its rows)"; exit 2; }
  args+=(--npy "$HELDOUT_NPY" --csv "$HELDOUT_CSV" --label-column "${LABEL_COLUMN:-label}")
  if [ -n "${HELDOUT_WHERE:-}" ]; then args+=(--where "$HELDOUT_WHERE"); fi
elif [ -n "${HELDOUT_FOLDER:-}" ]; then
  args+=(--folder "$HELDOUT_FOLDER")
else
  say "set HELDOUT_NPY and HELDOUT_CSV (committed embeddings) or HELDOUT_FOLDER (images in class sub-folders)"
  exit 2
fi
for mapping in ${POSITIVE_OF:-}; do args+=(--positive-of "$mapping"); done

# The baseline: each head's reports as the base branch has them. A head new on this branch has none (no drop
# to measure); without the base commit (a shallow clone), the reports committed on this branch are used.
if git rev-parse --verify --quiet "$BASE_REF^{commit}" > /dev/null; then
  for dir in "$HEADS_DIR"/*/; do
    head="$(basename "$dir")"
    rm -rf "${dir}reports"
    if git cat-file -e "$BASE_REF:$HEADS_DIR/$head/reports" 2> /dev/null; then
      git restore --source="$BASE_REF" --worktree -- "$HEADS_DIR/$head/reports"
    else
      say "$head: no report on $BASE_REF to compare with (a new head): only MIN_AP applies"
    fi
  done
else
  say "$BASE_REF is not here (fetch it: a shallow clone lacks it); comparing with the reports on this branch"
fi

status=0
"${vector_tune[@]}" "${args[@]}" || status=$?
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$SUMMARY" ]; then cat "$SUMMARY" >> "$GITHUB_STEP_SUMMARY"; fi
exit "$status"
