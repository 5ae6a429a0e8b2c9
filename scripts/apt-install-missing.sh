#!/usr/bin/env bash
# Installs those of the named Debian packages that are not installed yet; `apt-get update` runs only then, so a
# second run does nothing and takes a fraction of a second. Run as root (or with sudo available).
#   bash scripts/apt-install-missing.sh [--tag NAME] package...
set -euo pipefail

tag="apt-install-missing"
if [ "${1:-}" = "--tag" ]; then tag="$2"; shift 2; fi
log() { printf '[%s] %s\n' "$tag" "$*"; }

missing=()
for p in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  log "Debian packages already present: $*"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
log "apt-get installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
