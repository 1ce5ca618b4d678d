#!/usr/bin/env bash
# Test of bench/system_plots.py (CTest bench.system_plots, no VM, seconds):
# on a system benchmark CSV (default: the published one) and on a copy in
# which one case's boots all failed and one boot of another has no time to
# the real root, both SVGs parse as XML and hold exactly one bar per
# workload × mode with a complete 1-vCPU boot (time_to_root.svg) and four
# segments per such classic or init case (phases.svg), each workload is
# named, and the skipped boots are named on stderr.
#
#   bash bench/system_plots_test.sh [RESULTS.csv]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
csv=${1:-$here/results/published/system/results.csv}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/iofs-system-plots.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

# check CSV OUTDIR: the expected bars worked out from the CSV apart from the
# script (a complete boot: smp 1, state running, the four phase times set).
check() {
	python3 - "$1" "$2" <<'PY'
import csv, sys, xml.dom.minidom
path, out = sys.argv[1:]
times = ("kernel_init", "initrd_init", "real_systemd", "multi_user")
cases = {(r["workload"], r["mode"]) for r in csv.DictReader(open(path, newline=""))
         if r["smp"] == "1" and r["state"] == "running" and all(r[c] for c in times)}
assert cases, f"no complete boot in {path}"
want = {
    "time_to_root.svg": {f"bar-{w}-{m}" for w, m in cases},
    "phases.svg": {f"phase-{w}-{m}-{i}" for w, m in cases if m in ("classic", "init") for i in range(4)},
}
bad = 0
for name, ids in want.items():
    doc = xml.dom.minidom.parse(f"{out}/{name}")  # raises, so fails, unless well-formed
    rects = [e.getAttribute("id") for e in doc.getElementsByTagName("rect") if e.getAttribute("id")]
    got = set(rects)
    texts = {t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild}
    for problem, items in (("missing", sorted(ids - got)), ("unexpected", sorted(got - ids)),
                           ("twice", sorted({i for i in rects if rects.count(i) > 1})),
                           ("workload not named", sorted({w for w, _ in cases} - texts))):
        if items:
            print(f"{name}: {problem}: {' '.join(items)}", file=sys.stderr)
            bad = 1
    print(f"{name}: {len(got & ids)} of {len(ids)} bars")
sys.exit(bad)
PY
}

python3 "$here/system_plots.py" "$csv" "$tmp/real" 2>"$tmp/real.err" || { cat "$tmp/real.err" >&2; exit 1; }
check "$csv" "$tmp/real"

# The copy: every 1-vCPU boot of the first row's case in emergency, and the
# time to the real root of the last row emptied.
first=$(awk -F, 'NR == 2 { print $1 " " $2 }' "$csv")
python3 - "$csv" >"$tmp/broken.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
for r in rows:
    if (r["workload"], r["mode"], r["smp"]) == (rows[0]["workload"], rows[0]["mode"], "1"):
        r["state"] = "emergency"
rows[-1]["real_systemd"] = ""
out = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
out.writeheader()
out.writerows(rows)
PY
python3 "$here/system_plots.py" "$tmp/broken.csv" "$tmp/broken" 2>"$tmp/broken.err" || { cat "$tmp/broken.err" >&2; exit 1; }
check "$tmp/broken.csv" "$tmp/broken"
if ! grep -q "skipped $first run" "$tmp/broken.err" || ! grep -q "real_systemd empty" "$tmp/broken.err"; then
	echo "system_plots_test: the skipped boots are not named on stderr:" >&2
	cat "$tmp/broken.err" >&2
	exit 1
fi
echo "system_plots_test: ok"
