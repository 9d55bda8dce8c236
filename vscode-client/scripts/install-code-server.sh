#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs, idempotently: Debian packages (build tools for
# code-server's native modules, ripgrep, chromium) and code-server from npm into a cache folder.
#
#   scripts/install-code-server.sh            # install (or reuse) and print the code-server path
#   scripts/install-code-server.sh --check    # install nothing: print the path if all is there,
#                                             # else say what is missing and exit 1
#   AGENTSENSE_E2E_CACHE=/some/dir ...        # cache folder (default ~/.cache/agentsense-e2e)
#   CODE_SERVER_VERSION=4.100.3 ...           # newest line that runs on Node 20
#
# Everything is skipped when already present, so CI can call it on every run. It needs root (or
# sudo) only when a Debian package is missing. The last line of stdout is the code-server binary.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
CACHE="${AGENTSENSE_E2E_CACHE:-${HOME:-/root}/.cache/agentsense-e2e}"
PREFIX="$CACHE/code-server-$CODE_SERVER_VERSION"
BIN="$PREFIX/node_modules/.bin/code-server"
APT_PACKAGES=(g++ make pkg-config libkrb5-dev libxkbfile-dev libsecret-1-dev ripgrep chromium)

log() { printf 'install-code-server: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "need root to run: $*"
        exit 1
    fi
}

CHECK_ONLY=0
[ "${1:-}" = "--check" ] && CHECK_ONLY=1

# -- Debian packages --------------------------------------------------------------------------
missing=()
for package in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
if [ "${#missing[@]}" -gt 0 ] && [ "$CHECK_ONLY" = 1 ]; then
    log "missing Debian packages: ${missing[*]}"
    exit 1
fi
if [ "${#missing[@]}" -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq >&2
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# -- code-server ------------------------------------------------------------------------------
if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "^$CODE_SERVER_VERSION"; then
    log "code-server $CODE_SERVER_VERSION already installed in $PREFIX"
    echo "$BIN"
    exit 0
fi

if [ "$CHECK_ONLY" = 1 ]; then
    log "code-server $CODE_SERVER_VERSION is not installed in $PREFIX"
    exit 1
fi

command -v node >/dev/null || { log "node is not installed"; exit 1; }
command -v npm >/dev/null || { log "npm is not installed"; exit 1; }

# @vscode/ripgrep's postinstall downloads rg from GitHub, which this machine cannot reach: seed
# the cache it looks in first with a tarball of Debian's rg (same layout: one `rg` at the root).
TMP_ROOT="${TMPDIR:-/tmp}"
RG_TARBALL_NAME="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
for ripgrep_package_version in 1.15.9 1.15.10 1.15.11 1.15.12 1.15.13 1.15.14; do
    seed="$TMP_ROOT/vscode-ripgrep-cache-$ripgrep_package_version/$RG_TARBALL_NAME"
    if [ ! -s "$seed" ]; then
        mkdir -p "$(dirname "$seed")"
        tar -czf "$seed" -C "$(dirname "$(command -v rg)")" rg
    fi
done

log "npm install code-server@$CODE_SERVER_VERSION into $PREFIX (about a minute)"
mkdir -p "$PREFIX"
[ -f "$PREFIX/package.json" ] || echo '{"name":"agentsense-e2e-code-server","private":true}' >"$PREFIX/package.json"
# node-pty's postinstall runs `npx node-gyp` (npm_config_yes answers its prompt); node-gyp must
# build against the installed Node's headers instead of downloading them (npm_config_nodedir);
# code-server's own postinstall refuses to run as root unless npm_config_unsafe_perm is true.
(
    cd "$PREFIX"
    npm_config_yes=true npm_config_nodedir="${npm_config_nodedir:-/usr}" npm_config_unsafe_perm=true \
        npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >&2
)

if ! "$BIN" --version >/dev/null 2>&1; then
    log "code-server did not install: $BIN --version fails"
    exit 1
fi
log "installed $("$BIN" --version | head -1)"
echo "$BIN"
