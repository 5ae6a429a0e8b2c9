#!/usr/bin/env bash
# The main job on a sample, from a fresh clone: install, build, index samples/clothing, start a "hat" head from
# a text prompt, run three scripted tuning rounds (answers from samples/clothing/labels.csv), write the head.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
export ONNXRUNTIME_NODE_INSTALL=skip   # its binaries ship in the package; the download would fail offline

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
node esbuild.js

WS=$REPO/demo-workspace
rm -rf "$WS"
mkdir -p "$WS"
cp -r samples/clothing/images "$WS/images"
cd "$WS"
vt() { node "$REPO/dist/cli.js" "$@"; }

echo "== index samples with the real CLIP model (cached, or downloaded once)"
MODEL_ARGS=()
if ! vt index images 2> index-error.txt; then
  echo "   The real CLIP model is not available here: $(tail -n 1 index-error.txt)"
  GENERATED=$REPO/.cache/models/generated-clip-tiny
  echo "   Using a small generated model of the same layout instead (random weights: rankings are meaningless)."
  [ -f "$GENERATED/onnx/vision_model.onnx" ] || node "$REPO/dist/generate-model.js" --out "$GENERATED" --preset tiny
  MODEL_ARGS=(--model "$GENERATED")
  vt index images "${MODEL_ARGS[@]}"
fi
rm -f index-error.txt

echo "== start a head from a prompt"
vt start hat --prompt "a photo of a hat" "${MODEL_ARGS[@]}"

echo "== three rounds of 8, scored by a scripted labeller (samples/clothing/labels.csv)"
vt tune hat --answers "$REPO/samples/clothing/labels.csv" --id-column path --label-column label --positive hat --rounds 3 --batch 8

echo "== the head's top 10 over the whole sample"
vt rank hat --top 10 --answers "$REPO/samples/clothing/labels.csv" --answers-id-column path --label-column label --positive hat

echo
echo "Head written to demo-workspace/vectortune/heads/hat/ (classifier.weights.json, labels.jsonl)."
