#!/usr/bin/env bash
# deps.sh: install what `make test`, `make demo` and `make bench` need and is missing:
# Debian packages (as root, or through sudo) and the npm packages of the test peers.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential pkg-config libsmpp34-dev libevent-dev libhiredis-dev libpcre2-dev
      libyaml-dev libjansson-dev libsodium-dev redis-server redis-tools curl)
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # a packaged redis-server may start a system instance; ours run privately on other ports
fi

# npm packages of the test peers (the SMSC is node-smpp), pinned by the lock file
if [ ! -d tests/node_modules/smpp ] || [ tests/package-lock.json -nt tests/node_modules/.stamp ]; then
    echo "deps: npm ci in tests/"
    (cd tests && npm ci --silent --no-audit --no-fund >/dev/null && touch node_modules/.stamp)
fi
