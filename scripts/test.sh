#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test level: unit,
# namespace (needs root) and boot (QEMU, downloads Debian kernels once into
# ${IOFS_CACHE:-/var/cache/initoverlayfs-tests}).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
