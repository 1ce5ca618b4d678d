#!/usr/bin/env bash
# Smoke test of the benchmark, for CTest/CI: one 16 MiB payload, one boot each
# of floor, classic-zstd and initoverlayfs (QEMU TCG, -icount), results in a
# temporary directory that is removed afterwards (KEEP_TMP=1 keeps it).
# No assertion on time: fails only if a boot fails (the payload's init never
# ran) or the sweep cannot be set up.
#
#   bash bench/quick.sh [PATH/TO/initoverlayfs-install]
#
# Without an argument the benchmark builds its own Release tree (build-bench/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/iofs-bench-quick.XXXXXX")
cleanup() {
	if [[ ${KEEP_TMP:-0} == 1 ]]; then
		echo "bench-quick: kept $out" >&2
	else
		rm -rf -- "$out"
	fi
}
trap cleanup EXIT
args=(--quick --results "$out")
[[ $# -ge 1 ]] && args+=(--builder "$1")
bash "$here/run.sh" "${args[@]}"
