#!/usr/bin/env bash
# Debian's NumPy and ONNX (1.12: onnx.checker, opset up to 17, IR up to 8) for the tests that run the README's
# Python snippet and check exported models with onnx.checker. No pip registry is reachable here, so Debian's
# packages, for Debian's /usr/bin/python3. Idempotent.
set -euo pipefail
bash "$(dirname "$0")/apt-install-missing.sh" --tag install-python-deps python3-numpy python3-onnx
