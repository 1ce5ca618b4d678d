#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test level: unit,
# namespace (needs root) and boot (QEMU, downloads Debian kernels once into
# ${IOFS_CACHE:-/var/cache/initoverlayfs-tests}).
# The tests labelled full_only (slow full-system boots whose ground the
# reduced forms already cover; docs/TESTING.md lists them) run only with
# IOFS_FULL=1, which also runs every reduced test in its full form. Among
# them the Debian 13 system tests (label trixie, about 20 min more; ctest
# -L trixie in build/ runs them alone).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
cd build
exclude=()
[[ ${IOFS_FULL:-0} == 1 ]] || exclude=(-LE full_only)
ctest --output-on-failure -j"$(nproc)" ${exclude[@]+"${exclude[@]}"} "$@"
