#!/usr/bin/env bash
# Runs every test: type check, build, then the engine's unit and end-to-end tests in plain Node
# (node:test through tsx, so failures point at TypeScript lines).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
npx tsc --noEmit -p .
npx tsc --noEmit -p src/webview
node esbuild.js
npx tsx --test --test-concurrency=1 test/unit/*.test.ts test/e2e/*.test.ts
