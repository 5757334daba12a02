#!/usr/bin/env bash
# The entry point behind `npm start` and `npm test`: makes sure a supported Node.js and the
# project's dependencies are installed, then starts the product or runs every check.
#
#   scripts/totra.sh start [totra up options]   build, then `totra up`
#   scripts/totra.sh test  [vitest filters]     lint, typecheck, unit + int + e2e tests
#   scripts/totra.sh bench <name> [script] [args] build, then run bench/<name>/<script or run>.mjs
#   scripts/totra.sh exec <command...>          run a command with the supported Node on PATH
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=ensure-node.sh
source "$ROOT/scripts/ensure-node.sh"
totra_ensure_node

export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false NX_SKIP_NX_CACHE=${NX_SKIP_NX_CACHE:-false}

ensure_deps() {
  local stamp_file="$ROOT/node_modules/.totra-install-stamp"
  local want
  want="$(node -p 'process.versions.node.split(".")[0]')-$(sha256sum package-lock.json | cut -c1-64)"
  if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ]; then
    return 0
  fi
  echo "totra: installing dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp_file"
}

build() {
  echo "totra: building (tsc -b)" >&2
  npx --no-install tsc -b tsconfig.build.json
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  start)
    ensure_deps
    build
    exec node services/cli/dist/main.js up "$@"
    ;;
  test)
    ensure_deps
    echo "totra: lint" >&2
    npx --no-install eslint --max-warnings 0 .
    echo "totra: typecheck" >&2
    build
    npx --no-install tsc -p tsconfig.spec.json
    echo "totra: tests (unit, int, e2e)" >&2
    mkdir -p .totra
    results=.totra/test-results.json
    rm -f "$results"
    status=0
    npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
    if [ -f "$results" ]; then
      node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
        console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests+r.numTodoTests ? `, ${r.numPendingTests+r.numTodoTests} skipped` : ""));' "$results"
    fi
    exit "$status"
    ;;
  bench)
    ensure_deps
    build
    name="${1:?usage: scripts/totra.sh bench <name> [script] [args...]}"
    script="${2:-run}"
    shift $(($# < 2 ? $# : 2))
    exec node "bench/${name}/${script}.mjs" "$@"
    ;;
  exec)
    ensure_deps
    exec "$@"
    ;;
  *)
    echo "usage: scripts/totra.sh start|test|exec <command...>" >&2
    exit 2
    ;;
esac
