#!/usr/bin/env bash
# The main job, on a built-in sample: builds initoverlayfs, downloads a
# Debian 6.12 kernel, makes a sample initial filesystem (busybox plus the
# kernel's fs/, net/ and sound/ modules, decompressed: about 100 MiB of
# realistic, compressible content), and boots it twice in QEMU (TCG, with
# -icount for a steady guest clock): as a classic zstd initramfs, and as an
# initoverlayfs pair (mini initramfs + EROFS image on an ext4 virtio disk).
# Prints both timelines side by side.
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

echo "demo: making the sample payload" >&2
payload=$SCRATCH/payload
pair_payload "$payload"
mkdir -p "$payload/lib/modules/$kver"
for sub in fs net sound; do
	(cd "$moddir/kernel" && find "$sub" -name '*.ko.xz') | while read -r m; do
		mkdir -p "$payload/lib/modules/$kver/kernel/$(dirname "$m")"
		xz -dc "$moddir/kernel/$m" >"$payload/lib/modules/$kver/kernel/${m%.xz}"
	done
done
payload_mib=$(du -sm "$payload" | cut -f1)

echo "demo: classic initramfs (zstd -19)" >&2
(cd "$payload" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | zstd -q -19 -T0 -c >"$SCRATCH/classic.img"

echo "demo: initoverlayfs pair" >&2
uuid=$(cat /proc/sys/kernel/random/uuid)
pair_build "$moddir" "$kver" "$SCRATCH/out" --rootdir "$payload" --bootfs "UUID=$uuid" --bootfstype ext4
mkdir -p "$SCRATCH/disk-content"
cp "$(pair_image "$SCRATCH/out" "$kver")" "$SCRATCH/disk-content/"
disk_ext4_make "$SCRATCH/disk.img" $((payload_mib + 64)) boot "$uuid" "$SCRATCH/disk-content"

export QEMU_ICOUNT=1 QEMU_TIMEOUT=600
echo "demo: booting the classic initramfs" >&2
qemu_boot "$kernel" "$SCRATCH/classic.img" "$SCRATCH/classic.log" -- -drive "file=$SCRATCH/disk.img,format=raw,if=virtio"
classic_wall=$QEMU_BOOT_WALL
echo "demo: booting initoverlayfs" >&2
qemu_boot "$kernel" "$SCRATCH/out/initramfs-$kver.img" "$SCRATCH/iofs.log" -- -drive "file=$SCRATCH/disk.img,format=raw,if=virtio"
iofs_wall=$QEMU_BOOT_WALL
for log in "$SCRATCH/classic.log" "$SCRATCH/iofs.log"; do
	console_expect "$log" 'PAYLOAD-INIT-RAN' "payload init ran"
done

uptime_of() { grep -o 'PAYLOAD-INIT-RAN pid=1 uptime=[0-9.]*' "$1" | sed 's/.*uptime=//'; }
avail_of() { grep -o 'MemAvailable: *[0-9]*' "$1" | grep -o '[0-9]*$' | awk '{printf "%d MiB", $1/1024}'; }
runinit_of() { grep -o '\[ *[0-9.]*\] Run /init' "$1" | grep -o '[0-9.]*' | head -1; }
size_of() { du -h --apparent-size "$1" | cut -f1; }
c_t=$(uptime_of "$SCRATCH/classic.log"); i_t=$(uptime_of "$SCRATCH/iofs.log")

echo
echo "Sample payload: ${payload_mib} MiB ($(find "$payload" -type f | wc -l) files), kernel $kver, QEMU TCG -icount shift=0"
printf '%-34s %-26s %s\n' "" "classic initramfs" "initoverlayfs"
printf '%-34s %-26s %s\n' "files booted" "initrd $(size_of "$SCRATCH/classic.img")" \
	"mini $(size_of "$SCRATCH/out/initramfs-$kver.img") + image $(size_of "$(pair_image "$SCRATCH/out" "$kver")") on disk"
printf '%-34s %-26s %s\n' "kernel runs /init (guest s)" "$(runinit_of "$SCRATCH/classic.log")" "$(runinit_of "$SCRATCH/iofs.log")"
printf '%-34s %-26s %s\n' "initoverlayfs ready" "-" \
	"$(grep -o 'initoverlayfs: ready in .*' "$SCRATCH/iofs.log" | tr -d '\r' | sed 's/initoverlayfs: //')"
printf '%-34s %-26s %s\n' "payload init runs (guest s)" "$c_t" "$i_t"
printf '%-34s %-26s %s\n' "MemAvailable at payload init" "$(avail_of "$SCRATCH/classic.log")" "$(avail_of "$SCRATCH/iofs.log")"
printf '%-34s %-26s %s\n' "host wall time of the boot (s)" "$classic_wall" "$iofs_wall"
awk -v c="$c_t" -v i="$i_t" 'BEGIN { printf "classic / initoverlayfs time to payload init: %.2f\n", c / i }'
