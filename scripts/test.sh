#!/usr/bin/env bash
# Runs every test: type checks, lint (ESLint, no warnings), formatting (Prettier), the architecture rules
# (dependency-cruiser), the build, the engine's unit and end-to-end tests in plain Node (node:test through tsx),
# the scoring panel in real Chromium, then the extension in a real VS Code (code-server, offline): once from this
# repo and once as the packaged .vsix a user installs (after packaging one .vsix per platform and checking each).
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip   # its binaries ship in the package; the download would fail offline

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# Chromium and code-server for the browser and VS Code suites (idempotent; apt-get only what is missing).
bash scripts/install-vscode-test-deps.sh
# NumPy and ONNX for Debian's python3: the README's Python snippet and exported models are checked from Python.
bash scripts/install-python-deps.sh

npx tsc --noEmit -p .
npx tsc --noEmit -p src/webview
npm run lint
npm run format:check
npm run depcheck
node esbuild.js

npx tsx --test --test-concurrency=1 test/unit/*.test.ts test/e2e/*.test.ts test/webview/*.test.ts

echo "== the extension in a real VS Code (code-server), from the repo"
npx tsx test/vscode/run.ts
echo "== one .vsix per platform, each checked for its platform's binaries only (tools/package, test/package)"
npx tsx tools/package/main.ts
npx tsx --test test/package/vsix.test.ts
echo "== the packaged extension (the linux-x64 .vsix), installed into VS Code"
npx tsx test/vscode/run.ts --vsix dist/vector-tune.vsix
