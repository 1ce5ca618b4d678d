#!/usr/bin/env bash
# Time and memory of every image placement and lower filesystem, side by
# side, on one payload (issue 7's table): the same content as bench/run.sh
# (bench/payload.py, fixed seed), the same kernel (Debian 6.12), QEMU TCG
# with -icount shift=0,sleep=off, 1 vCPU, 3072 MiB for every mode.
#
#   bash bench/placements.sh [--size MiB] [--builder PATH] [--out DIR]
#
# Modes: floor (tiny initramfs: the kernel's own cost), classic-zstd, and
# initoverlayfs with the image
#   bootfs-erofs     a file on an ext4 virtio disk (the default)
#   partition-erofs  a GPT partition of its own, by PARTLABEL=
#   initrd-erofs     inside the mini initramfs (no disk)
#   pmem-erofs       uncompressed, placed in RAM by QEMU's loader, memmap=
#   pmem-erofs-lz4hc the same, compressed (page cache instead of DAX)
#   virtio-pmem      uncompressed, a virtio-pmem device
#   bootfs-squashfs, bootfs-ext4, bootfs-btrfs  other lower filesystems
# Prints a markdown table (and writes table.md and results.csv to --out):
# guest seconds when the payload's init runs, MemAvailable then, the
# program's own "ready in" time, and the sizes of what was booted.
set -Eeuo pipefail
shopt -s inherit_errexit
top=$(cd "$(dirname "$0")/.." && pwd)
size=64 out="" BUILDER=$top/build/initoverlayfs-install
while (($#)); do
	case $1 in
	--size) size=$2; shift 2 ;;
	--builder) BUILDER=$(realpath "$2"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "usage: $0 [--size MiB] [--builder PATH] [--out DIR]" >&2; exit 2 ;;
	esac
done
BOOT_TEST_NAME=placements
. "$top/tests/boot/lib/common.sh"
. "$top/tests/boot/lib/kernels.sh"
. "$top/tests/boot/lib/qemu.sh"
. "$top/tests/boot/lib/pair.sh"
boot_test_init
boot_deps_install
boot_kernels_fetch
[[ -x $BUILDER ]] || boot_fail "no builder at $BUILDER (build first: cmake --build build)"
out=${out:-$top/bench/results/placements-$(date +%Y-%m-%d)}
mkdir -p "$out"
kver=$K612_VER moddir=$K612_DIR/lib/modules/$K612_VER kernel=$K612_DIR/boot/vmlinuz-$K612_VER
export QEMU_ICOUNT=1 QEMU_TIMEOUT=900

payload=$SCRATCH/payload
pair_payload "$payload"
python3 "$top/bench/payload.py" --out "$payload" --size-mib "$size" --kmoddir "$moddir" \
	--summary "$SCRATCH/content.csv" --manifest "$SCRATCH/manifest.txt" >/dev/null
payload_mib=$(du -sm --apparent-size "$payload" | cut -f1)

echo "mode,guest_s_at_init,mem_available_kib,ready_ms,booted_bytes" >"$out/results.csv"
rows=()
record() { # MODE LOG BOOTED_BYTES NEEDS
	local mode=$1 log=$2 bytes=$3 needs=$4 t mem ready
	console_expect "$log" 'PAYLOAD-INIT-RAN' "$mode: payload init ran"
	t=$(grep -ao 'PAYLOAD-INIT-RAN pid=1 uptime=[0-9.]*' "$log" | sed 's/.*uptime=//')
	mem=$(grep -ao 'MemAvailable: *[0-9]*' "$log" | grep -o '[0-9]*$')
	ready=$(grep -ao 'initoverlayfs: ready in [0-9]*' "$log" | grep -o '[0-9]*$' || echo -)
	echo "$mode,$t,$mem,$ready,$bytes" >>"$out/results.csv"
	rows+=("| $mode | $t | $((mem / 1024)) | $ready | $((bytes / 1048576)) | $needs |")
	boot_log "$mode: init at $t s, MemAvailable $((mem / 1024)) MiB, ready in $ready ms"
}
sz() { local t=0 f; for f; do t=$((t + $(stat -c %s "$f"))); done; echo "$t"; }
mini() { echo "$SCRATCH/$1/initramfs-$kver.img"; }
img() { echo "$SCRATCH/$1/initoverlayfs-$kver.img"; }

# floor and classic
mkdir -p "$SCRATCH/floor"
cat >"$SCRATCH/floor/init" <<'FLOOR'
#!/bin/sh
mount -t proc proc /proc
echo "PAYLOAD-INIT-RAN pid=$$ uptime=$(cat /proc/uptime)"
echo "PAYLOAD-MEM $(grep MemAvailable /proc/meminfo)"
poweroff -f
FLOOR
busybox_initramfs "$SCRATCH/floor.img" "$SCRATCH/floor/init"
QEMU_MEM=3072 qemu_boot "$kernel" "$SCRATCH/floor.img" "$SCRATCH/floor.log"
record floor "$SCRATCH/floor.log" "$(sz "$SCRATCH/floor.img")" "nothing"
(cd "$payload" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | zstd -q -19 -T0 -c >"$SCRATCH/classic.img"
QEMU_MEM=3072 qemu_boot "$kernel" "$SCRATCH/classic.img" "$SCRATCH/classic.log"
record classic-zstd "$SCRATCH/classic.log" "$(sz "$SCRATCH/classic.img")" "the whole initramfs loaded by the bootloader"

disk_for() { # TAG: an ext4 disk holding TAG's image
	local uuid=$1 tag=$2
	mkdir -p "$SCRATCH/$tag.content"
	cp "$(img "$tag")" "$SCRATCH/$tag.content/"
	disk_ext4_make "$SCRATCH/$tag.disk" $(( $(stat -c %s "$(img "$tag")") / 1048576 + 64 )) boot "$uuid" "$SCRATCH/$tag.content"
}
for fs in erofs squashfs ext4 btrfs; do
	uuid=$(cat /proc/sys/kernel/random/uuid)
	pair_build "$moddir" "$kver" "$SCRATCH/b-$fs" --rootdir "$payload" --bootfs "UUID=$uuid" --bootfstype ext4 --lowerfs "$fs" 2>/dev/null
	disk_for "$uuid" "b-$fs"
	QEMU_MEM=3072 qemu_boot "$kernel" "$(mini "b-$fs")" "$SCRATCH/b-$fs.log" -- -drive "file=$SCRATCH/b-$fs.disk,format=raw,if=virtio"
	record "bootfs-$fs" "$SCRATCH/b-$fs.log" "$(sz "$(mini "b-$fs")" "$(img "b-$fs")")" \
		"$([[ $fs == erofs ]] && echo "a boot filesystem (ext4 here) the kernel can reach" || echo "a boot filesystem; a loop device; the kernel's $fs")"
done

pair_build "$moddir" "$kver" "$SCRATCH/part" --rootdir "$payload" --placement partition --bootfs PARTLABEL=iofs_b 2>/dev/null
isz=$(( $(stat -c %s "$(img part)") / 1048576 + 8 ))
truncate -s $((2 * isz + 4))M "$SCRATCH/part.disk"
printf 'label: gpt\nsize=%sMiB, name=iofs_a\nsize=%sMiB, name=iofs_b\n' "$isz" "$isz" | sfdisk -q "$SCRATCH/part.disk"
start=$(sfdisk -J "$SCRATCH/part.disk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][1]["start"])')
dd if="$(img part)" of="$SCRATCH/part.disk" bs=512 seek="$start" conv=notrunc status=none
QEMU_MEM=3072 qemu_boot "$kernel" "$(mini part)" "$SCRATCH/part.log" -- -drive "file=$SCRATCH/part.disk,format=raw,if=virtio"
record partition-erofs "$SCRATCH/part.log" "$(sz "$(mini part)" "$(img part)")" "a partition of its own (GPT, PARTLABEL=); no boot filesystem driver"

pair_build "$moddir" "$kver" "$SCRATCH/initrd" --rootdir "$payload" --placement initrd 2>/dev/null
QEMU_MEM=3072 qemu_boot "$kernel" "$(mini initrd)" "$SCRATCH/initrd.log"
record initrd-erofs "$SCRATCH/initrd.log" "$(sz "$(mini initrd)")" "only the mini initramfs (holding the image); loop"

for tag in pmem pmemz; do
	extra=(); [[ $tag == pmemz ]] && extra=(--compression lz4hc)
	pair_build "$moddir" "$kver" "$SCRATCH/$tag" --rootdir "$payload" --placement pmem "${extra[@]}" 2>/dev/null
	region=$(( ($(stat -c %s "$(img "$tag")") + (128 << 20) - 1) / (128 << 20) * 128 ))
	QEMU_MEM=3072 qemu_boot "$kernel" "$(mini "$tag")" "$SCRATCH/$tag.log" "memmap=${region}M!0x40000000" -- \
		-device "loader,file=$(img "$tag"),addr=0x40000000,force-raw=on"
	record "$([[ $tag == pmem ]] && echo pmem-erofs || echo pmem-erofs-lz4hc)" "$SCRATCH/$tag.log" \
		"$(sz "$(mini "$tag")" "$(img "$tag")")" "the bootloader loads the image into RAM kept as pmem (memmap=${region}M!ADDR); DAX"
done

pair_build "$moddir" "$kver" "$SCRATCH/vpmem" --rootdir "$payload" --placement virtio-pmem 2>/dev/null
QEMU_MEM=3072,slots=2,maxmem=16G qemu_boot "$kernel" "$(mini vpmem)" "$SCRATCH/vpmem.log" -- \
	-object "memory-backend-file,id=iofs,mem-path=$(img vpmem),size=$(stat -c %s "$(img vpmem)"),readonly=on" \
	-device virtio-pmem-pci,memdev=iofs
record virtio-pmem "$SCRATCH/vpmem.log" "$(sz "$(mini vpmem)" "$(img vpmem)")" "a VM with a virtio-pmem device backed by the image file; DAX"

{
	echo "Payload: ${payload_mib} MiB of bench/payload.py content; kernel $kver; QEMU TCG -icount shift=0,sleep=off, 1 vCPU, 3072 MiB"
	echo "($(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet || echo ', with uncommitted changes'), $(date -u +%Y-%m-%d))."
	echo
	echo "| mode | guest s at payload init | MemAvailable MiB | initoverlayfs ready (ms) | booted MiB | needs |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} | tee "$out/table.md"
