#!/usr/bin/env python3
"""The plots of a bench/system.sh run (issue 12), as two SVG files:

  time_to_root.svg  time to the real root's PID 1 per workload (ordered by
                    unpacked size) and mode: median bar, min–max line
  phases.svg        classic vs initoverlayfs (init mode) per workload, the
                    boot cut into kernel → /init → initrd's own init → real
                    root → multi-user, stacked medians

Boots with 1 vCPU only (the -icount ones), every complete one: unlike
system_report.py no outlier is left out, the min–max line shows it. The
SVG is written by hand: Debian 12's minimal install and
scripts/install-deps.sh have no plotting library, and the benchmark must
not need one; bars, lines and text are all these charts are.

  python3 bench/system_plots.py RESULTS.csv OUTDIR
"""
import csv
import math
import os
import sys
from collections import defaultdict
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import MiB, Stat, num  # noqa: E402  (bench/report.py)

MODES = {  # mode: (legend, colour), in the order the bars stand
    "classic": ("classic (the system's own initramfs)", "#4e79a7"),
    "classic-lz4": ("classic, recompressed lz4", "#a0cbe8"),
    "squash": ("dracut-ng squash-erofs as shipped (the peer)", "#b07aa1"),
    "squash-lz4hc": ("dracut-ng squash-erofs, lz4hc", "#ff9da7"),
    "init": ("initoverlayfs, init mode", "#f28e2b"),
    "initrd": ("initoverlayfs, image in the initramfs", "#edc948"),
    "systemd": ("initoverlayfs, systemd mode", "#59a14f"),
}
PHASE_MODES = {"classic": "classic", "init": "initoverlayfs"}
# Phase boundaries: the segment i runs from BOUNDS[i] to BOUNDS[i + 1].
BOUNDS = ("kernel_init", "initrd_init", "real_systemd", "multi_user")
PHASES = (  # legend, colour (dark enough for white labels)
    ("kernel start → /init (with unpacking)", "#79706e"),
    ("/init → the initramfs's own init", "#e15759"),
    ("→ the real root's PID 1", "#4e79a7"),
    ("→ multi-user", "#59a14f"),
)
FONT = 12
STYLE = ("<style>text{font-family:'DejaVu Sans',Verdana,sans-serif;font-size:%dpx;fill:#222}"
         ".small{font-size:10px}.title{font-size:15px;font-weight:bold}.in{fill:#fff}</style>" % FONT)


def text_w(s, size=FONT):
    """Rough width of s in px: no font metrics here; DejaVu Sans averages ~0.6 em."""
    return len(s) * size * 0.6


def ticks(top):
    """Axis ticks from 0 to at or above top, a step of 1, 2 or 5 × 10^k: at most 8 steps."""
    mag = 10 ** math.floor(math.log10(top / 8)) if top > 0 else 1
    step = next(mult * mag for mult in (1, 2, 5, 10) if top / (mult * mag) <= 8)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def svg(width, height, title, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">\n{STYLE}\n'
            f'<rect width="{width}" height="{height}" fill="#fff"/>\n'
            f'<text class="title" x="{width / 2:.0f}" y="22" text-anchor="middle">{escape(title)}</text>\n'
            + "\n".join(body) + "\n</svg>\n")


def legend(body, x, y, width, entries):
    """Colour squares and names in a grid of columns fitting width px; returns the height used."""
    col = 18 + max(text_w(name) for name, _ in entries) + 16
    ncols = max(1, min(len(entries), int(width // col)))
    for i, (name, colour) in enumerate(entries):
        cx, cy = x + (i % ncols) * col, y + (i // ncols) * 20
        body.append(f'<rect x="{cx:.0f}" y="{cy - 11}" width="12" height="12" fill="{colour}"/>')
        body.append(f'<text x="{cx + 18:.0f}" y="{cy}">{escape(name)}</text>')
    return -(-len(entries) // ncols) * 20


def write(path, data):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(data)
    os.replace(tmp, path)


def time_to_root(cases, workloads, unpacked, runs):
    W, H, left, right, top = 760, 470, 64, 16, 44
    groups = [(w, [m for m in MODES if (w, m) in cases]) for w in workloads]
    body = []
    leg_h = legend(body, left, top + 12, W - left - right, [MODES[m] for m in MODES if any(m in ms for _, ms in groups)])
    plot_top, plot_bottom = top + leg_h + 24, H - 50
    t_max = ticks(max(max(v) for v in cases.values()))
    y = lambda t: plot_bottom - (plot_bottom - plot_top) * t / t_max[-1]
    for t in t_max:
        body.append(f'<line x1="{left}" x2="{W - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd"/>')
        body.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    body.append(f'<text transform="translate(16 {(plot_top + plot_bottom) / 2:.0f}) rotate(-90)" '
                f'text-anchor="middle">guest seconds since kernel start</text>')
    # Widths in bars: a gap of 1 between groups, and a group of one bar as
    # wide as two so that its two-line label does not run into the next.
    slots = lambda ms: max(len(ms), 2)
    bar = min(48.0, (W - left - right) / sum(slots(ms) + 1 for _, ms in groups))
    x = left + bar / 2
    for w, ms in groups:
        x0 = x
        x += (slots(ms) - len(ms)) * bar / 2
        for m in ms:
            vals = cases[(w, m)]
            med, lo, hi = Stat(vals).med, min(vals), max(vals)
            tip = f"{w} {m}: median {med:.2f} s, {lo:.2f}–{hi:.2f} s, {len(vals)} of {runs[(w, m)]} boots"
            body.append(f'<rect id="bar-{w}-{m}" x="{x + 1:.1f}" y="{y(med):.1f}" width="{bar - 2:.1f}" '
                        f'height="{plot_bottom - y(med):.1f}" fill="{MODES[m][1]}"><title>{escape(tip)}</title></rect>')
            cx = x + bar / 2
            if hi - lo > 0:
                body.append(f'<path d="M{cx - 4:.1f} {y(hi):.1f}h8M{cx:.1f} {y(hi):.1f}V{y(lo):.1f}M{cx - 4:.1f} '
                            f'{y(lo):.1f}h8" stroke="#222" stroke-width="1" fill="none"/>')
            body.append(f'<text class="small" x="{cx:.1f}" y="{y(hi) - 5:.1f}" text-anchor="middle">{med:.2f}</text>')
            x += bar
        x = x0 + slots(ms) * bar
        mid = (x0 + x) / 2
        body.append(f'<text x="{mid:.1f}" y="{plot_bottom + 18}" text-anchor="middle" font-weight="bold">{escape(w)}</text>')
        body.append(f'<text x="{mid:.1f}" y="{plot_bottom + 34}" text-anchor="middle">{unpacked[w]:.0f} MiB unpacked</text>')
        x += bar
    body.append(f'<line x1="{left}" x2="{W - right}" y1="{plot_bottom}" y2="{plot_bottom}" stroke="#222"/>')
    return svg(W, H, "Time to the real root's PID 1: median of the boots, min–max line (1 vCPU, -icount)", body)


def phases(bounds, workloads, unpacked):
    rows = [(w, m) for w in workloads for m in PHASE_MODES if (w, m) in bounds]
    bar_h, pair_gap, W, name_col, mode_col, right = 24, 16, 860, 110, 100, 70
    left = name_col + mode_col
    body = []
    leg_h = legend(body, left, 56, W - left - 8, PHASES)
    y = 56 + leg_h + 10
    s_max = ticks(max(b[-1] for b in bounds.values()))
    x = lambda t: left + (W - left - right) * t / s_max[-1]
    plot_top, prev = y, None
    for w, m in rows:
        if prev is not None:
            y += pair_gap if prev != w else 4
        if prev != w:  # the workload's name beside its pair (or its one bar)
            n = sum(1 for r in rows if r[0] == w)
            mid = y + (n * bar_h + (n - 1) * 4) / 2
            body.append(f'<text x="8" y="{mid - 2:.0f}" font-weight="bold">{escape(w)}</text>')
            body.append(f'<text class="small" x="8" y="{mid + 11:.0f}">{unpacked[w]:.0f} MiB unpacked</text>')
        prev = w
        body.append(f'<text x="{left - 8}" y="{y + bar_h / 2 + 4:.0f}" text-anchor="end">{PHASE_MODES[m]}</text>')
        b = bounds[(w, m)]
        edges = [0.0]
        for t in b:  # medians of each boundary: kept in order, should one lag
            edges.append(max(t, edges[-1]))
        for i, (name, colour) in enumerate(PHASES):
            x0, x1 = x(edges[i]), x(edges[i + 1])
            secs = edges[i + 1] - edges[i]
            body.append(f'<rect id="phase-{w}-{m}-{i}" x="{x0:.1f}" y="{y}" width="{x1 - x0:.1f}" height="{bar_h}" '
                        f'fill="{colour}"><title>{escape(f"{w} {m}: {name}: {secs:.2f} s")}</title></rect>')
            label = f"{secs:.2f}"
            if x1 - x0 >= text_w(label, 10) + 6:
                body.append(f'<text class="small in" x="{(x0 + x1) / 2:.1f}" y="{y + bar_h / 2 + 4:.0f}" '
                            f'text-anchor="middle">{label}</text>')
        body.append(f'<text class="small" x="{x(edges[-1]) + 5:.1f}" y="{y + bar_h / 2 + 4:.0f}">{edges[-1]:.2f} s</text>')
        y += bar_h
    for t in s_max:  # grid lines first in the body, under the bars
        body.insert(0, f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{plot_top - 4}" y2="{y + 4}" stroke="#ddd"/>')
        body.append(f'<text x="{x(t):.1f}" y="{y + 20}" text-anchor="middle">{t:g}</text>')
    body.append(f'<text x="{(left + W - right) / 2:.0f}" y="{y + 40}" text-anchor="middle">guest seconds since kernel start</text>')
    title = "Where the boot's time goes: classic vs initoverlayfs (init mode), medians, 1 vCPU"
    return svg(W, y + 56, title, body)


def main(csv_path, outdir):
    runs, usable, skipped = defaultdict(int), defaultdict(list), 0
    sizes = defaultdict(list)
    with open(csv_path, newline="") as f:
        for r in csv.DictReader(f):
            if num(r["smp"]) != 1:
                continue
            key = (r["workload"], r["mode"])
            runs[key] += 1
            vals = [num(r[c]) for c in BOUNDS]
            if r["state"] != "running" or None in vals or num(r["unpacked_bytes"]) is None:
                print(f"system_plots: skipped {r['workload']} {r['mode']} run {r['run']}: state {r['state']}, "
                      + ", ".join(f"{c} {r[c] or 'empty'}" for c in BOUNDS), file=sys.stderr)
                skipped += 1
                continue
            usable[key].append(vals)
            sizes[r["workload"]].append(num(r["unpacked_bytes"]) / MiB)
    if not usable:
        sys.exit(f"system_plots: no complete 1-vCPU boot in {csv_path}")
    unpacked = {w: Stat(v).med for w, v in sizes.items()}
    workloads = sorted(unpacked, key=lambda w: (unpacked[w], w))
    times = {k: [v[BOUNDS.index("real_systemd")] for v in vs] for k, vs in usable.items()}
    bounds = {k: [Stat([v[i] for v in vs]).med for i in range(len(BOUNDS))]
              for k, vs in usable.items() if k[1] in PHASE_MODES}
    for m in sorted({k[1] for k in times} - set(MODES)):
        print(f"system_plots: mode {m} not plotted (no colour for it in MODES)", file=sys.stderr)
    os.makedirs(outdir, exist_ok=True)
    written = [f"{outdir}/time_to_root.svg"]
    write(written[0], time_to_root({k: v for k, v in times.items() if k[1] in MODES}, workloads, unpacked, runs))
    if bounds:
        written.append(f"{outdir}/phases.svg")
        write(written[1], phases(bounds, workloads, unpacked))
    print(f"system_plots: wrote {', '.join(written)}" + (f"; {skipped} boots skipped" if skipped else ""),
          file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: system_plots.py RESULTS.csv OUTDIR")
    main(sys.argv[1], sys.argv[2])
