#!/usr/bin/env bash
# The main job, on a built-in sample: builds initoverlayfs, downloads a
# Debian 6.12 kernel and the Debian packages of the sample, makes the
# sample (scripts/lib/sample.sh: the content of a desktop's generic
# initramfs, about 280 MiB of real modules, GPU firmware, systemd and
# libraries), and boots it twice in QEMU (TCG, 1 vCPU,
# -icount shift=0,sleep=on for a guest clock that counts instructions): as
# a classic initramfs compressed as Debian's initramfs-tools does (zstd -9),
# and as an initoverlayfs pair (mini initramfs + EROFS image on an ext4
# virtio disk). In both, the sample's init reads what a boot on that VM
# reads. Prints both timelines side by side and the gain.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target initoverlayfs initoverlayfs-install >/dev/null

BOOT_TEST_NAME=demo
. tests/boot/lib/common.sh
. tests/boot/lib/kernels.sh
. tests/boot/lib/qemu.sh
. tests/boot/lib/pair.sh
boot_test_init
boot_deps_install
boot_kernels_fetch
BUILDER=$top/build/initoverlayfs-install
kver=$K612_VER
moddir=$K612_DIR/lib/modules/$kver
kernel=$K612_DIR/boot/vmlinuz-$kver

echo "demo: making the sample (the content of a desktop's generic initramfs)" >&2
. scripts/lib/sample.sh
payload=$SCRATCH/payload
desktop_sample "$payload" "$kver" "$moddir" || boot_fail "making the sample failed"
payload_mib=$(du -sm "$payload" | cut -f1)
reads_mib=$(cd "$payload" && xargs -d '\n' du -cbL -- <etc/boot-reads | tail -n 1 | awk '{ printf "%.1f", $1 / 1048576 }')

echo "demo: classic initramfs (zstd -9, as initramfs-tools makes it)" >&2
(cd "$payload" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | zstd -q -9 -T0 -c >"$SCRATCH/classic.img"

echo "demo: initoverlayfs pair" >&2
uuid=$(cat /proc/sys/kernel/random/uuid)
pair_build "$moddir" "$kver" "$SCRATCH/out" --rootdir "$payload" --bootfs "UUID=$uuid" --bootfstype ext4
image=$(pair_image "$SCRATCH/out" "$kver")
mkdir -p "$SCRATCH/disk-content"
cp -- "$image" "$SCRATCH/disk-content/"
disk_ext4_make "$SCRATCH/disk.img" $(($(du -sm "$image" | cut -f1) + 64)) boot "$uuid" "$SCRATCH/disk-content"

# 1.5 GiB: the classic initramfs needs its compressed file, the unpacked
# files and the kernel's own copy at once.
export QEMU_ICOUNT=sleep QEMU_TIMEOUT=900 QEMU_MEM=1536
echo "demo: booting the classic initramfs" >&2
qemu_boot "$kernel" "$SCRATCH/classic.img" "$SCRATCH/classic.log" -- -drive "file=$SCRATCH/disk.img,format=raw,if=virtio"
classic_wall=$QEMU_BOOT_WALL
echo "demo: booting initoverlayfs" >&2
qemu_boot "$kernel" "$SCRATCH/out/initramfs-$kver.img" "$SCRATCH/iofs.log" -- -drive "file=$SCRATCH/disk.img,format=raw,if=virtio"
iofs_wall=$QEMU_BOOT_WALL
for log in "$SCRATCH/classic.log" "$SCRATCH/iofs.log"; do
	console_expect "$log" 'SAMPLE-READS-DONE' "the sample's init did its reads"
done

mark_of() { tr -d '\r' <"$1" | grep -o "$2 uptime=[0-9.]*" | sed 's/.*uptime=//' | head -n 1; }
avail_of() { tr -d '\r' <"$1" | grep -o 'SAMPLE-MEM MemAvailable: *[0-9]*' | grep -o '[0-9]*$' | awk '{ printf "%d MiB", $1 / 1024 }'; }
runinit_of() { grep -ao '\[ *[0-9.]*\] Run /init' "$1" | grep -o '[0-9.]*' | head -n 1; }
size_of() { du -h --apparent-size "$1" | cut -f1; }
c_t=$(mark_of "$SCRATCH/classic.log" SAMPLE-READS-DONE)
i_t=$(mark_of "$SCRATCH/iofs.log" SAMPLE-READS-DONE)

echo
echo "Sample: ${payload_mib} MiB unpacked ($(find "$payload" -type f | wc -l) files: modules, GPU firmware, systemd and libraries), of which its init reads ${reads_mib} MiB"
echo "Kernel $kver, QEMU TCG, 1 vCPU, -icount shift=0,sleep=on (guest seconds)"
printf '%-34s %-26s %s\n' "" "classic initramfs" "initoverlayfs"
printf '%-34s %-26s %s\n' "files booted" "initrd $(size_of "$SCRATCH/classic.img") (zstd -9)" \
	"mini $(size_of "$SCRATCH/out/initramfs-$kver.img") + image $(size_of "$image") on disk"
printf '%-34s %-26s %s\n' "kernel runs /init" "$(runinit_of "$SCRATCH/classic.log")" "$(runinit_of "$SCRATCH/iofs.log")"
printf '%-34s %-26s %s\n' "initoverlayfs ready" "-" \
	"$(grep -ao 'initoverlayfs: ready in .*' "$SCRATCH/iofs.log" | tr -d '\r' | sed 's/initoverlayfs: //')"
printf '%-34s %-26s %s\n' "the sample's init starts" "$(mark_of "$SCRATCH/classic.log" SAMPLE-INIT-RAN)" \
	"$(mark_of "$SCRATCH/iofs.log" SAMPLE-INIT-RAN)"
printf '%-34s %-26s %s\n' "its boot reads are done" "$c_t" "$i_t"
printf '%-34s %-26s %s\n' "MemAvailable then" "$(avail_of "$SCRATCH/classic.log")" "$(avail_of "$SCRATCH/iofs.log")"
printf '%-34s %-26s %s\n' "host wall time of the boot (s)" "$classic_wall" "$iofs_wall"
awk -v c="$c_t" -v i="$i_t" 'BEGIN {
	printf "initoverlayfs is %.2f s sooner: classic / initoverlayfs time to the end of the boot reads = %.2f\n", c - i, c / i }'
