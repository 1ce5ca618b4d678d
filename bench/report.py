#!/usr/bin/env python3
"""Turns a benchmark results directory into summary.md, medians.csv and the
data the gnuplot script plots (plot.dat, plot-vars.gp), and evaluates the
targets of issue 5 as ratios from the same run.

Usage: report.py RESULTS_DIR   (reads results.csv, content.csv,
compression.csv, components.csv, machine.txt)
"""

import csv
import os
import statistics
import sys

MiB = 1 << 20
IOFS_MODES = ("initoverlayfs", "initoverlayfs-virtio")
CLASSIC_MODES = ("classic-zstd", "classic-lz4")
MODE_ORDER = ("floor", "classic-zstd", "classic-lz4", "initoverlayfs", "initoverlayfs-virtio")
SMALL_LIMIT = 1.5 * MiB


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Stat:
    def __init__(self, values):
        self.values = [v for v in values if v is not None]

    def __bool__(self):
        return bool(self.values)

    @property
    def med(self):
        return statistics.median(self.values) if self.values else None

    def fmt(self, spec="{:.2f}", scale=1.0):
        if not self.values:
            return "–"
        lo, hi = min(self.values) * scale, max(self.values) * scale
        m = self.med * scale
        if len(self.values) == 1 or spec.format(lo) == spec.format(hi):
            return spec.format(m)
        return f"{spec.format(m)} ({spec.format(lo)}–{spec.format(hi)})"


def main():
    d = sys.argv[1]
    rows = read_csv(os.path.join(d, "results.csv"))
    machine = []
    if os.path.exists(os.path.join(d, "machine.txt")):
        with open(os.path.join(d, "machine.txt")) as f:
            machine = [line.rstrip("\n") for line in f if line.strip()]

    groups = {}
    for r in rows:
        key = (r["mode"], int(r["size_mib"]))
        groups.setdefault(key, []).append(r)

    def ok_rows(key):
        return [r for r in groups.get(key, []) if r["ok"] == "1"]

    def stat(key, col, scale=1.0):
        return Stat([num(r[col]) * scale if num(r[col]) is not None else None for r in ok_rows(key)])

    keys = sorted(groups, key=lambda k: (MODE_ORDER.index(k[0]) if k[0] in MODE_ORDER else 99, k[1]))
    floor_key = ("floor", 0) if ("floor", 0) in groups else None
    t_floor = stat(floor_key, "init_s").med if floor_key else None
    m_floor = stat(floor_key, "mem_available_kib", 1 / 1024).med if floor_key else None

    def t(mode, size):
        return stat((mode, size), "init_s").med if (mode, size) in groups else None

    def mem(mode, size):
        return stat((mode, size), "mem_available_kib", 1 / 1024).med if (mode, size) in groups else None

    # --- medians.csv and plot data
    with open(os.path.join(d, "medians.csv"), "w") as f:
        cols = ["init_s", "run_init_s", "ready_ms", "modules_ms", "device_ms", "mount_ms", "switch_ms",
                "mem_available_kib", "wall_s"]
        f.write("mode,size_mib,runs_ok,runs," + ",".join(f"{c}_median,{c}_min,{c}_max" for c in cols)
                + ",payload_bytes,initrd_bytes,image_bytes\n")
        for k in keys:
            ok = ok_rows(k)
            out = [k[0], str(k[1]), str(len(ok)), str(len(groups[k]))]
            for c in cols:
                s = stat(k, c)
                out += [f"{s.med:g}", f"{min(s.values):g}", f"{max(s.values):g}"] if s else ["", "", ""]
            first = (ok or groups[k])[0]
            out += [first["payload_bytes"], first["initrd_bytes"], first["image_bytes"]]
            f.write(",".join(out) + "\n")

    # Only modes with at least one successful boot: gnuplot fails on an empty block.
    plot_modes = [m for m in MODE_ORDER if m != "floor" and any(k[0] == m and stat(k, "init_s") for k in keys)]
    with open(os.path.join(d, "plot.dat"), "w") as f:
        for m in plot_modes:
            f.write(f'"{m}"\n')
            for k in keys:
                if k[0] != m:
                    continue
                ti, me = stat(k, "init_s"), stat(k, "mem_available_kib", 1 / 1024)
                if not ti:
                    continue
                f.write(f"{k[1]} {ti.med:g} {min(ti.values):g} {max(ti.values):g} "
                        f"{me.med:g} {min(me.values):g} {max(me.values):g}\n")
            f.write("\n\n")
    with open(os.path.join(d, "plot-vars.gp"), "w") as f:
        f.write(f"nblocks = {len(plot_modes)}\n")
        f.write(f"have_floor = {1 if t_floor is not None else 0}\n")
        f.write(f"floor_init = {t_floor if t_floor is not None else 0:g}\n")
        f.write(f"floor_mem = {m_floor if m_floor is not None else 0:g}\n")
        kernel = next((l for l in machine if l.startswith("guest kernel:")), "").partition(": ")[2].split(" (")[0]
        guest = next((l for l in machine if l.startswith("guest:")), "").partition(": ")[2].split(", virtio")[0]
        subtitle = f"kernel {kernel}, {guest}" if kernel else guest
        # Characters with a meaning in gnuplot's enhanced text mode.
        subtitle = "".join(ch for ch in subtitle if ch not in '~_^{}@&"')
        f.write(f'subtitle = "{subtitle}"\n')

    # --- summary.md
    md = []
    md.append("# initoverlayfs boot benchmark\n")
    for line in machine:
        k, _, v = line.partition(": ")
        md.append(f"- **{k}**: {v}")
    md.append("")

    comp = read_csv(os.path.join(d, "content.csv"))
    compr = read_csv(os.path.join(d, "compression.csv"))
    if compr:
        md.append("## Content\n")
        md.append("Per size: bytes of each component (files), the payload as a cpio archive and its "
                  "compressed sizes (ratio = cpio / compressed).\n")
        md.append("| size | payload | modules | libraries | firmware | text | cpio | zstd -19 | lz4 -l -9 | EROFS lz4hc |")
        md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in compr:
            s = c["size_mib"]
            parts = {r["component"]: r for r in comp if r["size_mib"] == s}

            def part(name):
                r = parts.get(name)
                if not r or int(r["bytes"]) == 0:
                    return "–"
                return f"{int(r['bytes']) / MiB:.1f} MiB ({r['files']})"

            cpio_b = int(c["cpio_bytes"])

            def ratio(col):
                b = int(c[col])
                return f"{b / MiB:.1f} MiB ({cpio_b / b:.2f}×)"

            md.append(f"| {s} MiB | {int(c['payload_bytes']) / MiB:.1f} MiB, {c['payload_files']} files | "
                      f"{part('modules')} | {part('libraries')} | {part('firmware')} | {part('text')} | "
                      f"{cpio_b / MiB:.1f} MiB | {ratio('zstd19_bytes')} | {ratio('lz4_bytes')} | "
                      f"{ratio('erofs_lz4hc_bytes')} |")
        md.append("")
        md.append("Every size includes the base: static busybox and the reporting `/init`. Payload digests "
                  "(sha256 of the manifest: path, size, sha256 of every generated file): "
                  + ", ".join(f"{c['size_mib']} MiB `{c['manifest_sha256'][:12]}`" for c in compr) + ".\n")
    components = read_csv(os.path.join(d, "components.csv"))
    if components:
        md.append(f"Compression of each component alone, measured on the {components[0]['sample_size_mib']} MiB payload:\n")
        md.append("| component | bytes | zstd -19 | lz4 -l -9 |")
        md.append("|---|---:|---:|---:|")
        for c in components:
            b = int(c["bytes"])
            md.append(f"| {c['component']} | {b / MiB:.1f} MiB | {b / int(c['zstd19_bytes']):.2f}× | "
                      f"{b / int(c['lz4_bytes']):.2f}× |")
        md.append("")

    md.append("## Results\n")
    nruns = max((len(v) for v in groups.values()), default=0)
    md.append(f"Median of {nruns} run(s), (min–max) where they differ. Guest seconds from the kernel's clock "
              "under `-icount shift=0,sleep=off`. *ready* is the early-boot program's own summary line: total "
              "(modules / device / mount / switch) in ms. Files booted: the initrd QEMU loads, plus the image "
              "on the virtio disk for initoverlayfs.\n")
    md.append("| mode | size | payload init runs (guest s) | kernel `Run /init` (guest s) | initoverlayfs ready (ms) | "
              "MemAvailable at init (MiB) | files booted | host wall (s) | ok |")
    md.append("|---|---:|---:|---:|---|---:|---|---:|---:|")
    for k in keys:
        ok = ok_rows(k)
        first = (ok or groups[k])[0]
        ready = stat(k, "ready_ms")
        if ready:
            phases = "/".join(f"{stat(k, c).med:g}" for c in ("modules_ms", "device_ms", "mount_ms", "switch_ms"))
            ready_s = f"{ready.fmt('{:.0f}')} ({phases})"
        else:
            ready_s = "–"
        initrd = num(first["initrd_bytes"])
        image = num(first["image_bytes"])
        files = f"initrd {initrd / MiB:.2f} MiB" if initrd is not None else "–"
        if image is not None:
            files = f"mini {initrd / MiB:.2f} MiB + image {image / MiB:.1f} MiB"
        size = "–" if k[0] == "floor" else f"{k[1]} MiB"
        md.append(f"| {k[0]} | {size} | {stat(k, 'init_s').fmt()} | {stat(k, 'run_init_s').fmt()} | {ready_s} | "
                  f"{stat(k, 'mem_available_kib').fmt('{:.0f}', 1 / 1024)} | {files} | {stat(k, 'wall_s').fmt('{:.0f}')} | "
                  f"{len(ok)}/{len(groups[k])} |")
    md.append("")

    # --- targets
    md.append("## Targets (ratios of medians from this run)\n")
    sizes = sorted({k[1] for k in keys if k[0] != "floor"})
    for iofs in [m for m in IOFS_MODES if any(k[0] == m for k in keys)]:
        md.append(f"### {iofs}\n")
        lines = []

        def verdict(name, checks):
            """checks: list of (bool, text); None bool = not measured."""
            measured = [c for c in checks if c[0] is not None]
            if not measured:
                lines.append(f"- **{name}**: not measured in this run")
                return
            met = all(c[0] for c in measured)
            partial = " (partly measured)" if len(measured) < len(checks) else ""
            lines.append(f"- **{name}**: {'met' if met else 'NOT met'}{partial}")
            for ok, text in checks:
                mark = "–" if ok is None else ("met" if ok else "not met")
                lines.append(f"  - {text}: {mark}")

        a, b = t(iofs, 16), t(iofs, 1024)
        if a and b:
            verdict("Flat", [(b <= 1.03 * a, f"{b:.2f} s at 1024 MiB / {a:.2f} s at 16 MiB = {b / a:.3f} (≤ 1.03)")])
        else:
            verdict("Flat", [(None, "needs sizes 16 and 1024")])

        checks = []
        for s in sizes:
            v = t(iofs, s)
            if v and t_floor:
                checks.append((v <= 1.10 * t_floor, f"{s} MiB {v:.2f}/{t_floor:.2f} = {v / t_floor:.2f}"))
        verdict("Close to the floor (≤ 1.10 × floor)", checks or [(None, "needs the floor")])

        checks = []
        for c in CLASSIC_MODES:
            for s, need in ((16, None), (256, 2.0), (1024, 5.0)):
                ci, ii = t(c, s), t(iofs, s)
                if not (ci and ii):
                    continue
                if need is None:
                    checks.append((ii <= ci, f"{c} at 16 MiB: {ii:.2f} s vs {ci:.2f} s (iofs ≤ classic)"))
                else:
                    checks.append((ci / ii >= need, f"{c}/iofs at {s} MiB = {ci:.2f}/{ii:.2f} = {ci / ii:.2f} (≥ {need:g})"))
        verdict("Faster than classic", checks or [(None, "needs a classic mode at 16, 256 or 1024 MiB")])

        checks = []
        for s in sizes:
            v = mem(iofs, s)
            if v is not None and m_floor is not None:
                checks.append((abs(m_floor - v) <= 16, f"{s} MiB {v:.0f} vs floor {m_floor:.0f} MiB (Δ {round(v - m_floor):+d})"))
        verdict("Memory (MemAvailable within 16 MiB of the floor)", checks or [(None, "needs the floor")])

        minis = [num(r["initrd_bytes"]) for k in keys if k[0] == iofs for r in groups[k] if num(r["initrd_bytes"])]
        if minis:
            m = max(minis)
            verdict("Small (mini initramfs ≤ 1.5 MiB)", [(m <= SMALL_LIMIT, f"{m / MiB:.2f} MiB ({int(m)} bytes)")])
        md.extend(lines)
        md.append("")

    # Context for the targets: where the initoverlayfs time goes.
    if t_floor is not None:
        md.append("Floor (tiny initramfs, kernel's own boot cost): payload init at "
                  f"{stat(floor_key, 'init_s').fmt()} s, MemAvailable {stat(floor_key, 'mem_available_kib').fmt('{:.0f}', 1 / 1024)} MiB.\n")
    failed = sum(1 for r in rows if r["ok"] != "1")
    if failed:
        md.append(f"**{failed} boot(s) failed** (the payload's init never ran); see `logs/`.\n")

    with open(os.path.join(d, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
