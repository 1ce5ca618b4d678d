#!/usr/bin/env bash
# run.sh TARGET SEED_DIR SECONDS ARTIFACT_DIR: fuzzes TARGET for SECONDS,
# starting from a scratch copy of SEED_DIR (the committed corpus stays as it
# is). Fails when libFuzzer, ASan or UBSan reports anything; the input that
# did it is kept in ARTIFACT_DIR and shown in hex.
set -euo pipefail
target=$(realpath "$1") seeds=$2 seconds=$3 artifacts=$(realpath -m "$4")
name=$(basename "$target" _fuzz)
[ -x "$target" ] || { echo "FAIL: fuzz.$name: $target not built" >&2; exit 1; }
scratch=$(mktemp -d /tmp/iofs-fuzz-"$name".XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/corpus" "$artifacts"
cp "$seeds"/* "$scratch/corpus/"
# Any report ends the run with a non-zero status (the targets are built with
# -fno-sanitize-recover, so UBSan aborts too). Leaks count.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
set +e
(cd "$scratch" && "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
   -max_len=8192 -print_final_stats=1 -artifact_prefix="$scratch/" corpus) \
   > "$scratch/log" 2>&1
rc=$?
set -e
grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$scratch/log" || true
if [ $rc -ne 0 ]; then
  tail -n 60 "$scratch/log"
  for f in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-*; do
    [ -e "$f" ] || continue
    cp "$f" "$artifacts/$name-$(basename "$f")"
    echo "input kept as $artifacts/$name-$(basename "$f"):"
    od -A d -t x1z "$f" | head -n 20
  done
  echo "FAIL: fuzz.$name (exit $rc)" >&2
  exit 1
fi
echo "PASS: fuzz.$name: $(grep -c '' <(ls "$scratch/corpus")) inputs in the corpus after ${seconds}s"
