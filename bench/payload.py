#!/usr/bin/env python3
"""Fills a directory with SIZE MiB of initramfs-like content for the benchmark.

The content is what real initramfs images are made of, in these shares of the
byte budget:

  modules    40 %  the kernel's own modules (lib/modules/KVER/kernel/**.ko),
                   decompressed from the .ko.xz of the kernel under test
  libraries  25 %  shared libraries copied from the host's
                   /usr/lib/x86_64-linux-gnu (files named *.so*, <= 16 MiB)
  firmware   25 %  generated blobs shaped like device firmware: instruction-
                   like streams, tables, padding and encrypted (random) parts
  text       10 %  scripts and headers copied from the host (*.py, *.pm,
                   *.pl, *.sh, *.h under /usr/lib/python3*, /usr/share/perl*,
                   /usr/include)

Deterministic: every source list is sorted, then shuffled with a fixed seed,
and files are taken in that order while they fit the budget, so a larger size
holds (nearly) the smaller sizes' files and every size samples the whole
population rather than the alphabetically first files. Firmware bytes come
from a seeded PRNG. Host files make the content depend on what the host has
installed; the manifest digest printed at the end tells two payloads apart.

Writes a per-component summary as CSV (component,files,bytes) to --summary
and the manifest (path, size, sha256 per file) to --manifest.
"""

import argparse
import glob
import hashlib
import lzma
import os
import random
import re
import shutil
import struct
import sys

MiB = 1 << 20
SHARES = (("modules", 0.40), ("libraries", 0.25), ("firmware", 0.25), ("text", 0.10))
LIB_DIR = "/usr/lib/x86_64-linux-gnu"
LIB_MAX = 16 * MiB
TEXT_GLOBS = ("/usr/lib/python3*", "/usr/share/perl*", "/usr/include")
TEXT_SUFFIXES = (".py", ".pm", ".pl", ".sh", ".h")
# Stop filling a component once less than this is left: nothing smaller is
# worth trying every remaining candidate for.
SLACK = 16 * 1024


def sorted_files(paths):
    return sorted(set(paths))


def shuffled(items, seed, name):
    items = list(items)
    random.Random(f"{seed}:{name}").shuffle(items)
    return items


def fill_from_files(candidates, budget, place, size_of):
    """Greedy fill: takes candidates in order while they fit. Returns bytes used."""
    used = 0
    for cand in candidates:
        left = budget - used
        if left < SLACK:
            break
        size = size_of(cand)
        if size is None or size == 0 or size > left:
            continue
        used += place(cand)
    return used


def module_candidates(kmoddir):
    root = os.path.join(kmoddir, "kernel")
    found = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith(".ko.xz") or f.endswith(".ko"):
                found.append(os.path.relpath(os.path.join(dirpath, f), kmoddir))
    return sorted_files(found)


def host_libraries():
    found = []
    for dirpath, _, files in os.walk(LIB_DIR):
        for f in files:
            if not re.search(r"\.so(\.|$)", f):
                continue
            p = os.path.join(dirpath, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            if os.path.getsize(p) <= LIB_MAX:
                found.append(p)
    return sorted_files(found)


def text_roots():
    return [d for g in TEXT_GLOBS for d in glob.glob(g) if os.path.isdir(d) and not os.path.islink(d)]


def host_text():
    found = []
    for top in sorted(text_roots()):
        for dirpath, _, files in os.walk(top):
            for f in files:
                if f.endswith(TEXT_SUFFIXES):
                    p = os.path.join(dirpath, f)
                    if not os.path.islink(p) and os.path.isfile(p):
                        found.append(p)
    return sorted_files(found)


class Writer:
    def __init__(self, out):
        self.out = out
        self.files = []  # (relpath, size, sha256)

    def write(self, rel, data, mode=0o644):
        dest = os.path.join(self.out, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(data)
        os.chmod(dest, mode)
        self.files.append((rel, len(data), hashlib.sha256(data).hexdigest()))
        return len(data)

    def copy(self, src, rel, mode=0o644):
        with open(src, "rb") as f:
            return self.write(rel, f.read(), mode)


def firmware_blob(rng, size):
    """One firmware-like blob: segments of instruction-like code (tokens drawn
    from a per-blob vocabulary with a Zipf-like skew, mixed with immediate
    operands), little-endian tables, 0xff/0x00 padding, and random bytes
    (signatures, encrypted sections)."""
    vocab = [rng.randbytes(rng.randint(2, 7)) for _ in range(512)]
    weights = [1.0 / (i + 1) ** 1.1 for i in range(len(vocab))]
    cum = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    parts = []
    have = 0
    while have < size:
        kind = rng.random()
        n = min(size - have, rng.randint(4096, 131072))
        if kind < 0.55:  # code
            out = bytearray()
            while len(out) < n:
                toks = rng.choices(vocab, cum_weights=cum, k=256)
                for t in toks:
                    out += t
                    if rng.random() < 0.12:
                        out += rng.randbytes(4)  # an immediate operand
            chunk = bytes(out[:n])
        elif kind < 0.70:  # table of offsets / register values
            base = rng.randrange(1 << 32)
            step = rng.choice((4, 8, 16, 32, 64, 0x100, 0x1000))
            vals = []
            for i in range(n // 8 + 1):
                vals.append(struct.pack("<II", (base + i * step) & 0xFFFFFFFF, rng.randrange(1 << 12)))
            chunk = b"".join(vals)[:n]
        elif kind < 0.78:  # padding
            chunk = (b"\xff" if rng.random() < 0.6 else b"\x00") * n
        else:  # signed / encrypted section
            chunk = rng.randbytes(n)
        parts.append(chunk)
        have += len(chunk)
    return b"".join(parts)[:size]


def fill_firmware(w, budget, seed):
    rng = random.Random(f"{seed}:firmware")
    used = 0
    i = 0
    while budget - used >= SLACK:
        # Log-uniform sizes, 32 KiB .. 4 MiB, like the bulk of linux-firmware.
        size = int(2 ** rng.uniform(15, 22))
        size = min(size, budget - used)
        vendor = f"vendor{i % 13:02d}"
        used += w.write(f"lib/firmware/{vendor}/fw-{i:05d}.bin", firmware_blob(rng, size))
        i += 1
    return used


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="payload root (exists, may hold a base tree)")
    ap.add_argument("--size-mib", type=int, required=True)
    ap.add_argument("--seed", default="initoverlayfs-bench-1")
    ap.add_argument("--kmoddir", required=True, help="lib/modules/KVER of the kernel under test")
    ap.add_argument("--summary", required=True)
    ap.add_argument("--manifest", required=True)
    a = ap.parse_args()

    base = 0
    for dirpath, _, files in os.walk(a.out):
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                base += os.path.getsize(p)
    total = max(0, a.size_mib * MiB - base) if a.size_mib > 0 else 0
    budgets = {name: int(total * share) for name, share in SHARES}
    kver = os.path.basename(os.path.normpath(a.kmoddir))

    w = Writer(a.out)
    used = {}
    counts = {}

    def counted(name, fn):
        before = len(w.files)
        used[name] = fn()
        counts[name] = len(w.files) - before

    # Modules: decompressed size known only after decompressing; cache it.
    cache = {}

    def mod_size(rel):
        if rel not in cache:
            src = os.path.join(a.kmoddir, rel)
            with open(src, "rb") as f:
                data = f.read()
            cache.clear()
            cache[rel] = lzma.decompress(data) if rel.endswith(".xz") else data
        return len(cache[rel])

    def mod_place(rel):
        data = cache.pop(rel)
        dest = rel[:-3] if rel.endswith(".xz") else rel
        return w.write(f"lib/modules/{kver}/{dest}", data)

    counted("modules", lambda: fill_from_files(
        shuffled(module_candidates(a.kmoddir), a.seed, "modules"),
        budgets["modules"], mod_place, mod_size))

    counted("libraries", lambda: fill_from_files(
        shuffled(host_libraries(), a.seed, "libraries"), budgets["libraries"],
        lambda p: w.copy(p, p.lstrip("/"), 0o755), os.path.getsize))

    counted("text", lambda: fill_from_files(
        shuffled(host_text(), a.seed, "text"), budgets["text"],
        lambda p: w.copy(p, p.lstrip("/"), 0o755 if p.endswith((".sh", ".pl")) else 0o644),
        os.path.getsize))

    # Whatever the host sources could not supply goes to firmware.
    shortfall = sum(budgets[n] - used[n] for n in ("modules", "libraries", "text"))
    if total and shortfall > 4 * SLACK:
        print(f"payload: host sources {shortfall / MiB:.1f} MiB short, made up with firmware", file=sys.stderr)
    counted("firmware", lambda: fill_firmware(w, budgets["firmware"] + max(0, shortfall), a.seed))

    with open(a.summary, "w") as f:
        f.write("component,files,bytes\n")
        f.write(f"base,-,{base}\n")
        for name, _ in SHARES:
            f.write(f"{name},{counts[name]},{used[name]}\n")
    digest = hashlib.sha256()
    with open(a.manifest, "w") as f:
        for rel, size, sha in sorted(w.files):
            line = f"{rel} {size} {sha}\n"
            f.write(line)
            digest.update(line.encode())
    print(digest.hexdigest())


if __name__ == "__main__":
    main()
