#!/usr/bin/env bash
# Proves the offline VS Code harness end to end on the fixture extension:
#   1. the real suite passes (exit 0, "4 passed, 0 failed");
#   2. a failing suite makes the harness exit 1;
#   3. a hanging suite hits the overall timeout (exit 124);
#   4. a test that skips, unexpected in the run, fails it (exit 1, the test named); declared, it does not (exit 0);
# and after each run no process started by it (code-server, extension host, Chromium) is left.
# Needs scripts/install-vscode-test-deps.sh to have run.
set -uo pipefail
cd "$(dirname "$0")/../.."

# Every process a run starts inherits this tag in its environment, so strays can be found exactly.
TAG="vscode-harness-selfcheck-$$-$RANDOM"
export HARNESS_SELFCHECK_TAG="$TAG"

strays() {
  local pid found=()
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$pid" = "$$" ] && continue
    if grep -qaxz "HARNESS_SELFCHECK_TAG=$TAG" "/proc/$pid/environ" 2>/dev/null; then
      # skip this script's own subshells and helpers, keep everything else
      case "$(cat "/proc/$pid/comm" 2>/dev/null)" in bash|tr|grep|ls|cat|sed|cut) continue ;; esac
      found+=("$pid:$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | cut -c1-80)")
    fi
  done
  printf '%s\n' "${found[@]}"
}

failures=0
check() { # name expected-exit actual-exit log
  local name=$1 want=$2 got=$3 log=$4 left
  sleep 0.5
  left="$(strays)"
  if [ "$got" = "$want" ] && [ -z "$left" ]; then
    echo "selfcheck: $name: ok (exit $got, no stray processes)"
  else
    echo "selfcheck: $name: FAILED (exit $got, wanted $want)"
    [ -n "$left" ] && { echo "  stray processes:"; echo "$left" | sed 's/^/    /'; }
    tail -20 "$log" | sed 's/^/  | /'
    failures=$((failures + 1))
  fi
}

out="$(mktemp -d)"
t0=$SECONDS
node test/vscode-harness/run.js pass >"$out/pass.log" 2>&1; rc=$?
cat "$out/pass.log"
grep -qx '4 passed, 0 failed' "$out/pass.log" || { echo "selfcheck: closing line missing"; rc=99; }
check "passing suite" 0 "$rc" "$out/pass.log"

node test/vscode-harness/run.js fail >"$out/fail.log" 2>&1; rc=$?
grep -qx '1 passed, 1 failed' "$out/fail.log" || { echo "selfcheck: failing suite's closing line missing"; rc=99; }
check "failing suite" 1 "$rc" "$out/fail.log"

node test/vscode-harness/run.js hang --timeout-ms 20000 >"$out/hang.log" 2>&1; rc=$?
check "hanging suite" 124 "$rc" "$out/hang.log"

node test/vscode-harness/run.js skip >"$out/skip.log" 2>&1; rc=$?
grep -qx '1 passed, 1 failed' "$out/skip.log" || { echo "selfcheck: unexpected skip's closing line missing"; rc=99; }
grep -qx '1 skipped; 1 not expected, counted as failed: "skips on purpose"' "$out/skip.log" ||
  { echo "selfcheck: unexpected skip's skip line missing"; rc=99; }
check "unexpected skip" 1 "$rc" "$out/skip.log"

node test/vscode-harness/run.js skip-declared >"$out/skip-declared.log" 2>&1; rc=$?
grep -qx '1 passed, 0 failed' "$out/skip-declared.log" || { echo "selfcheck: declared skip's closing line missing"; rc=99; }
grep -qx '1 skipped; 1 expected by this run (fixture-skip)' "$out/skip-declared.log" ||
  { echo "selfcheck: declared skip's skip line missing"; rc=99; }
check "declared skip" 0 "$rc" "$out/skip-declared.log"

echo "selfcheck: $((SECONDS - t0)) s, $failures failure(s)"
rm -rf "$out"
[ "$failures" -eq 0 ]
