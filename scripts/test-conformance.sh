#!/usr/bin/env bash
# npm run test:conformance — presignd against Ceph RGW, a real S3 that
# verifies SigV4 signatures and POST policies. Installs Debian's Ceph
# packages when missing (as root), starts a throw-away single-node cluster on
# 127.0.0.1, runs test/conformance, and always tears the cluster down.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(radosgw ceph-mon ceph-osd ceph-common)
if ! command -v radosgw >/dev/null || ! command -v ceph-mon >/dev/null || ! command -v ceph-osd >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${PKGS[*]} (Debian)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PKGS[@]}" >/dev/null
  else
    echo "Ceph RGW is not installed. On Debian/Ubuntu: sudo apt-get install -y ${PKGS[*]}" >&2
    echo "(the cluster runs its daemons as root: run this as root, e.g. sudo npm run test:conformance)" >&2
    exit 1
  fi
fi
if [ "$(id -u)" != 0 ]; then
  echo "the throw-away Ceph cluster runs as root: sudo npm run test:conformance" >&2
  exit 1
fi

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/presignd-conformance.XXXXXX")
CLUSTER=$WORK/rgw
cleanup() { scripts/rgw-down.sh "$CLUSTER" --wipe >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
export RGW_PORT=${RGW_PORT:-$(free_port)} MON_PORT=${MON_PORT:-$(free_port)}
scripts/rgw-up.sh "$CLUSTER" >/dev/null
# shellcheck disable=SC1091
source "$CLUSTER/env"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
node --import tsx --test --test-concurrency=1 ${CONFORMANCE_TESTS:-test/conformance/*.test.ts}
