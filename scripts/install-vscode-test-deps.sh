#!/usr/bin/env bash
# Installs what the offline VS Code test harness (tools/vscode-test) needs, on a fresh Debian 12
# machine that has only node/npm and reaches only the npm registry and Debian's packages:
#   - Debian packages: chromium (the browser), ripgrep (stands in for @vscode/ripgrep's GitHub
#     download), build-essential python3 pkg-config libkrb5-dev (code-server's native modules);
#   - tools/vscode-test/node_modules from its own lockfile: code-server 4.100.3, playwright-core.
# Idempotent: a second run installs nothing and finishes in about a second. Run as root (or with
# sudo available). Set VSCODE_TEST_FORCE=1 to redo the npm install anyway.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/tools/vscode-test"
START=$SECONDS

log() { printf '[install-vscode-test-deps] %s\n' "$*"; }

# --- 1. Debian packages, only those missing --------------------------------------------------
bash "$ROOT/scripts/apt-install-missing.sh" --tag install-vscode-test-deps \
  chromium build-essential python3 pkg-config libkrb5-dev ripgrep
[ -x /usr/bin/chromium ] || { log "ERROR: /usr/bin/chromium missing after apt-get"; exit 1; }
command -v rg >/dev/null || { log "ERROR: rg missing after apt-get"; exit 1; }

# --- 2. npm install of code-server + playwright-core, skipped when already done ---------------
# The stamp records the lockfile, Node's ABI and the platform: any change redoes the install.
stamp_want="$( (cat "$TOOLS/package-lock.json"; node -p 'process.versions.modules + " " + process.platform + " " + process.arch') | sha256sum | cut -d' ' -f1)"
stamp_file="$TOOLS/node_modules/.vscode-test-install-stamp"
if [ "${VSCODE_TEST_FORCE:-0}" != "1" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_want" ] \
   && [ -x "$TOOLS/node_modules/.bin/code-server" ] \
   && [ -f "$TOOLS/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]; then
  log "tools/vscode-test/node_modules up to date"
else
  # @vscode/ripgrep (installed by code-server's postinstall) downloads rg from GitHub unless its
  # cache folder already holds the release tarball. Debian's rg is the same 13.0.0: pack it there.
  RG_PKG_VERSION=1.15.11   # @vscode/ripgrep version that code-server 4.100.3 pulls in
  RG_RELEASE=v13.0.0-10    # the ripgrep-prebuilt release that version asks for
  case "$(node -p 'process.arch')" in
    x64) rg_target=x86_64-unknown-linux-musl ;;
    arm64) rg_target=aarch64-unknown-linux-musl ;;
    *) log "ERROR: unsupported arch $(node -p 'process.arch')"; exit 1 ;;
  esac
  rg_cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$RG_PKG_VERSION"
  rg_tar="$rg_cache/ripgrep-$RG_RELEASE-$rg_target.tar.gz"
  if [ ! -s "$rg_tar" ]; then
    log "packing Debian's rg ($(rg --version | head -1)) into $rg_tar"
    mkdir -p "$rg_cache"
    tmp="$(mktemp -d)"
    cp "$(command -v rg)" "$tmp/rg"
    tar -czf "$rg_tar.part" -C "$tmp" rg
    mv "$rg_tar.part" "$rg_tar"
    rm -rf "$tmp"
  fi

  log "npm ci in tools/vscode-test (code-server compiles native modules: about a minute)"
  # npm_config_yes: node-pty's postinstall runs `npx node-gyp`, which aborts without a TTY.
  # npm_config_unsafe_perm: code-server's postinstall refuses to run as root without it.
  # (argon2 and kerberos try a GitHub prebuilt first, fail, and compile locally: expected.)
  (
    cd "$TOOLS"
    npm_config_yes=true npm_config_unsafe_perm=true \
      npm ci --no-audit --no-fund --loglevel=error
  )
  [ -x "$TOOLS/node_modules/.bin/code-server" ] || { log "ERROR: code-server not installed"; exit 1; }
  echo "$stamp_want" > "$stamp_file"
fi

log "code-server $("$TOOLS/node_modules/.bin/code-server" --version 2>/dev/null | grep -m1 "with Code" | cut -d' ' -f1), $(/usr/bin/chromium --version 2>/dev/null)"
log "done in $((SECONDS - START)) s"
