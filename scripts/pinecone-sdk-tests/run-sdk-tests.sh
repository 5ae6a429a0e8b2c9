#!/usr/bin/env bash
# Runs the data-plane integration tests of the Pinecone SDK Vector Tune uses (@pinecone-database/pinecone 8.2.0, from
# its own repository, pinecone-io/pinecone-ts-client at tag v8.2.0) against Vector Tune's local stand-in of Pinecone,
# to see which of the service's behaviours the stand-in serves. Not part of npm test: it needs the SDK's repository.
#
#   bash scripts/pinecone-sdk-tests/run-sdk-tests.sh <pinecone-ts-client checkout or bare git dir> [mongo|strict]
#
# The checkout is copied (at v8.2.0 when a git directory is given) to a temporary folder, its dependencies installed
# with npm ci, the stand-in started with the SDK's data-plane fixtures (serve.ts), and jest run on
# src/integration/data/ (vectors, namespaces, bulk import) with PINECONE_CONTROLLER_HOST pointing at the stand-in.
# The README's Pinecone section lists what passed at the last run.
set -euo pipefail
src=${1:?usage: run-sdk-tests.sh <pinecone-ts-client checkout> [mongo|strict]}
reading=${2:-strict}
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [ -x "$src/node_modules/.bin/jest" ]; then
  # A checkout whose dependencies are installed already (a second run): used in place.
  work=$(cd "$src" && pwd)
  trap 'kill "${server:-}" 2>/dev/null || true' EXIT
else
  work=$(mktemp -d)
  trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
fi
if [ "$work" = "$(cd "$src" && pwd)" ]; then
  :
elif git --git-dir="$src" rev-parse v8.2.0 >/dev/null 2>&1; then
  git --git-dir="$src" archive v8.2.0 | tar -x -C "$work"
elif git -C "$src" rev-parse v8.2.0 >/dev/null 2>&1; then
  git -C "$src" archive v8.2.0 | tar -x -C "$work"
else
  cp -r "$src"/. "$work"
fi
[ -x "$work/node_modules/.bin/jest" ] || (cd "$work" && npm ci --no-audit --no-fund --ignore-scripts >/dev/null)
# The SDK's test context builds its client as new Pinecone({ apiKey }), which ignores PINECONE_CONTROLLER_HOST (only
# a client made without a config reads the environment): hand it the stand-in's URL. The tests are not changed.
sed -i 's/new Pinecone({ apiKey })/new Pinecone({ apiKey, controllerHostUrl: process.env.PINECONE_CONTROLLER_HOST })/' \
  "$work/src/integration/test-context.ts"
out=$(mktemp)
(cd "$repo" && exec npx tsx scripts/pinecone-sdk-tests/serve.ts "$work" "$reading") >"$out" &
server=$!
for _ in $(seq 1 120); do grep -q '^FIXTURES_JSON=' "$out" && break; sleep 1; done
grep -q '^FIXTURES_JSON=' "$out" || { echo "the stand-in did not start"; cat "$out"; exit 1; }
export PINECONE_API_KEY=sdk-tests-key
PINECONE_CONTROLLER_HOST=$(sed -n 's/^CONTROLLER=//p' "$out")
FIXTURES_JSON=$(sed -n 's/^FIXTURES_JSON=//p' "$out")
export PINECONE_CONTROLLER_HOST FIXTURES_JSON
cd "$work"
# One jest run per test file (in one jest process, a file whose afterAll deletes its indexes left the next files'
# requests failing to connect; each file alone does not), no --bail: the summary lists each pass and failure.
for file in $(find src/integration/data -name '*.test.ts' | sort); do
  TEST_ENV=node npx jest "$file" -c jest.config.integration-node.js --runInBand --forceExit --testTimeout 20000 2>&1 |
    grep -E '^(PASS|FAIL) |✓|✕|○|^Tests:|^    [A-Za-z]*Error|^    Pinecone' || true
done
