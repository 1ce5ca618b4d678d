#!/usr/bin/env bash
# build.sh SOURCE_DIR BUILD_DIR CLANG++: configures and builds the fuzz
# targets with clang (the test fixture of ctest -L fuzz).
set -euo pipefail
src=$1 bin=$2 cxx=${3:-}
if [ -z "$cxx" ] || ! command -v "$cxx" >/dev/null; then
  echo "FAIL: fuzz.build: no clang++ 16 or newer (Debian 12: apt-get install clang-16" \
       "libclang-rt-16-dev, or scripts/install-deps.sh)" >&2
  exit 1
fi
cmake -S "$src" -B "$bin" -DIOFS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$bin" --target fuzz_targets --parallel "${IOFS_BUILD_JOBS:-2}"
