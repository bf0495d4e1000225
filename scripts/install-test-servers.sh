#!/usr/bin/env bash
# Install the real MCP servers the live-crawl tests run, pinned, each in its own prefix or venv.
# Usage: scripts/install-test-servers.sh [DEST]   (default: <repo>/.test-servers)
# Tests find DEST through CATALOG_TEST_SERVERS (same default).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-${CATALOG_TEST_SERVERS:-$repo_root/.test-servers}}"
python="${PYTHON:-python3}"
# Versions the tests' expected tool names and hints were read from; bump them there, in one place.
pins="$repo_root/scripts/test-servers.txt"

npm_packages=()
declare -A py_packages=()
while read -r kind name package version; do
  case "$kind" in
    npm) npm_packages+=("$package@$version") ;;
    pypi) py_packages[$name]="$package==$version" ;;
    ""|\#*) ;;
    *) echo "unknown kind '$kind' in $pins" >&2; exit 1 ;;
  esac
done < "$pins"

mkdir -p "$dest/npm"
echo "npm packages -> $dest/npm"
npm install --prefix "$dest/npm" --no-audit --no-fund --loglevel=error "${npm_packages[@]}"

for name in "${!py_packages[@]}"; do
  venv="$dest/py-$name"
  echo "${py_packages[$name]} -> $venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet "${py_packages[$name]}"
done

echo "installed test servers under $dest"
