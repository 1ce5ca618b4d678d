#!/usr/bin/env bash
# Time and memory of every image placement and lower filesystem, side by
# side, on one payload (issue 7's table): the same content as bench/run.sh
# (bench/payload.py, fixed seed), the same kernel (Debian 6.12), QEMU TCG
# with -icount shift=0,sleep=on, 1 vCPU, 3072 MiB for every mode, each mode
# booted --runs times (default 3): the table gives the median and the
# spread (min-max) of the guest time at the payload's init.
#
#   bash bench/placements.sh [--size MiB] [--builder PATH] [--out DIR] [--modes "M ..."]
#                            [--arch x86_64|arm64] [--runs N] [--icount-sleep on|off]
#
# --icount-sleep off: sleep=off, the guest clock jumps over idle time; a
# wait for the disk then jumps it by a random amount (../shared/PLATFORM.md),
# so it is there only to compare with older tables.
#
# --arch arm64 (issue 17): Debian 13's arm64 6.12 in qemu-system-aarch64
# (-machine virt -cpu cortex-a57), the payload's busybox and the early-boot
# program arm64 ones; pmem is described by a device-tree pmem-region node at
# the top of the RAM, kept out of the kernel's memory with mem=
# (tests/boot/lib/devicetree.sh); no virtio-pmem (Debian 12's
# qemu-system-aarch64 has no virtio-pmem-pci).
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
#   bootfs-erofs-verity, partition-erofs-verity  the same with --verity
#                    (dm-verity over a loop device / over the partition)
# --modes "floor bootfs-erofs ..." runs only those.
# Prints a markdown table (and writes table.md and results.csv to --out):
# guest seconds when the payload's init runs, MemAvailable then, the
# program's own "ready in" time, and the sizes of what was booted.
set -Eeuo pipefail
shopt -s inherit_errexit
top=$(cd "$(dirname "$0")/.." && pwd)
size=64 out="" modes="" arch=x86_64 BUILDER=$top/build/initoverlayfs-install runs=3 icount_sleep=on
while (($#)); do
	case $1 in
	--size) size=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--icount-sleep) icount_sleep=$2; shift 2 ;;
	--arch) arch=$2; shift 2 ;;
	--builder) BUILDER=$(realpath "$2"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	*) echo "usage: $0 [--size MiB] [--builder PATH] [--out DIR] [--modes \"MODE ...\"] [--arch x86_64|arm64] [--runs N] [--icount-sleep on|off]" >&2; exit 2 ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench/placements.sh: --runs takes a positive number, not '$runs'" >&2; exit 2; }
[[ $icount_sleep == on || $icount_sleep == off ]] || { echo "bench/placements.sh: --icount-sleep takes on or off, not '$icount_sleep'" >&2; exit 2; }
BOOT_TEST_NAME=placements
. "$top/tests/boot/lib/common.sh"
. "$top/tests/boot/lib/kernels.sh"
. "$top/tests/boot/lib/qemu.sh"
. "$top/tests/boot/lib/pair.sh"
boot_test_init
boot_deps_install
[[ -x $BUILDER ]] || boot_fail "no builder at $BUILDER (build first: cmake --build build)"
case $arch in
x86_64)
	boot_kernels_fetch
	kver=$K612_VER moddir=$K612_DIR/lib/modules/$K612_VER kernel=$K612_DIR/boot/vmlinuz-$K612_VER
	machine="QEMU TCG"
	out=${out:-$top/bench/results/placements-$(date +%Y-%m-%d)}
	;;
arm64)
	. "$top/tests/boot/lib/kernels_arm64.sh"
	. "$top/tests/boot/lib/devicetree.sh"
	boot_arm64_fetch
	kver=$A612_VER moddir=$A612_DIR/lib/modules/$A612_VER kernel=$A612_DIR/boot/vmlinuz-$A612_VER
	export QEMU_ARCH=arm64 PAYLOAD_BUSYBOX=$ARM64_BUSYBOX BUSYBOX=$ARM64_BUSYBOX
	machine="qemu-system-aarch64 TCG (virt, ${QEMU_CPU:-cortex-a57})"
	out=${out:-$top/bench/results/placements-arm64-$(date +%Y-%m-%d)}
	;;
*) boot_fail "--arch takes x86_64 or arm64, not '$arch'" ;;
esac
mkdir -p "$out"
# qemu_boot: QEMU_ICOUNT=sleep is -icount shift=0,sleep=on, 1 is sleep=off.
QEMU_ICOUNT=$([[ $icount_sleep == on ]] && echo sleep || echo 1)
export QEMU_ICOUNT QEMU_TIMEOUT=900

payload=$SCRATCH/payload
pair_payload "$payload"
python3 "$top/bench/payload.py" --out "$payload" --size-mib "$size" --kmoddir "$moddir" \
	--summary "$SCRATCH/content.csv" --manifest "$SCRATCH/manifest.txt" >/dev/null
payload_mib=$(du -sm --apparent-size "$payload" | cut -f1)

echo "mode,run,guest_s_at_init,mem_available_kib,ready_ms,booted_bytes" >"$out/results.csv"
rows=()
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
record() { # MODE BOOTED_BYTES NEEDS: reads MODE's logs $SCRATCH/MODE.1.log ... .RUNS.log
	local mode=$1 bytes=$2 needs=$3 i log t mem ready ts=() mems=() readies=()
	for ((i = 1; i <= runs; i++)); do
		log=$SCRATCH/$mode.$i.log
		console_expect "$log" 'PAYLOAD-INIT-RAN' "$mode: payload init ran (boot $i)"
		t=$(grep -ao 'PAYLOAD-INIT-RAN pid=1 uptime=[0-9.]*' "$log" | sed 's/.*uptime=//')
		mem=$(grep -ao 'MemAvailable: *[0-9]*' "$log" | grep -o '[0-9]*$')
		ready=$(grep -ao 'initoverlayfs: ready in [0-9]*' "$log" | grep -o '[0-9]*$' || echo -)
		echo "$mode,$i,$t,$mem,$ready,$bytes" >>"$out/results.csv"
		ts+=("$t") mems+=("$mem") readies+=("$ready")
		boot_log "$mode boot $i: init at $t s, MemAvailable $((mem / 1024)) MiB, ready in $ready ms"
	done
	t=$(printf '%s\n' "${ts[@]}" | median)
	local lo hi
	lo=$(printf '%s\n' "${ts[@]}" | sort -g | head -1) hi=$(printf '%s\n' "${ts[@]}" | sort -g | tail -1)
	mem=$(printf '%s\n' "${mems[@]}" | median)
	if [[ ${readies[0]} == - ]]; then ready=-; else ready=$(printf '%s\n' "${readies[@]}" | median); fi
	rows+=("| $mode | $(printf '%.2f' "$t") | $(printf '%.2f-%.2f' "$lo" "$hi") | $(awk -v m="$mem" 'BEGIN { printf "%d", m / 1024 }') | $ready | $((bytes / 1048576)) | $needs |")
}
boots() { # MODE BOOTED_BYTES NEEDS KERNEL INITRD [CMDLINE...] [-- QEMU_ARGS...]: RUNS boots, then record
	local mode=$1 bytes=$2 needs=$3 kernel=$4 initrd=$5 i
	shift 5
	for ((i = 1; i <= runs; i++)); do
		qemu_boot "$kernel" "$initrd" "$SCRATCH/$mode.$i.log" "$@"
	done
	record "$mode" "$bytes" "$needs"
}
want() { [[ -z $modes || " $modes " == *" $1 "* ]]; }
sz() { local t=0 f; for f; do t=$((t + $(stat -c %s "$f"))); done; echo "$t"; }
mini() { echo "$SCRATCH/$1/initramfs-$kver.img"; }
img() { pair_image "$SCRATCH/$1" "$kver"; }

# floor and classic
mkdir -p "$SCRATCH/floor"
cat >"$SCRATCH/floor/init" <<'FLOOR'
#!/bin/sh
mount -t proc proc /proc
echo "PAYLOAD-INIT-RAN pid=$$ uptime=$(cat /proc/uptime)"
echo "PAYLOAD-MEM $(grep MemAvailable /proc/meminfo)"
poweroff -f
FLOOR
if want floor; then
	busybox_initramfs "$SCRATCH/floor.img" "$SCRATCH/floor/init"
	QEMU_MEM=3072 boots floor "$(sz "$SCRATCH/floor.img")" "nothing" "$kernel" "$SCRATCH/floor.img"
fi
if want classic-zstd; then
	(cd "$payload" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | zstd -q -19 -T0 -c >"$SCRATCH/classic.img"
	QEMU_MEM=3072 boots classic-zstd "$(sz "$SCRATCH/classic.img")" "the whole initramfs loaded by the bootloader" \
		"$kernel" "$SCRATCH/classic.img"
fi

disk_for() { # TAG: an ext4 disk holding TAG's image
	local uuid=$1 tag=$2
	mkdir -p "$SCRATCH/$tag.content"
	cp "$(img "$tag")" "$SCRATCH/$tag.content/"
	disk_ext4_make "$SCRATCH/$tag.disk" $(( $(stat -c %s "$(img "$tag")") / 1048576 + 64 )) boot "$uuid" "$SCRATCH/$tag.content"
}
for mode in bootfs-erofs bootfs-squashfs bootfs-ext4 bootfs-btrfs bootfs-erofs-verity; do
	want "$mode" || continue
	fs=${mode#bootfs-} extra=()
	[[ $fs == erofs-verity ]] && fs=erofs extra=(--verity)
	uuid=$(cat /proc/sys/kernel/random/uuid)
	pair_build "$moddir" "$kver" "$SCRATCH/$mode" --rootdir "$payload" --bootfs "UUID=$uuid" --bootfstype ext4 --lowerfs "$fs" "${extra[@]}" 2>/dev/null
	disk_for "$uuid" "$mode"
	case $mode in
	bootfs-erofs) needs="a boot filesystem (ext4 here) the kernel can reach" ;;
	bootfs-erofs-verity) needs="a boot filesystem; a loop device; dm-verity (the hash tree appended to the image)" ;;
	*) needs="a boot filesystem; a loop device; the kernel's $fs" ;;
	esac
	QEMU_MEM=3072 boots "$mode" "$(sz "$(mini "$mode")" "$(img "$mode")")" "$needs" "$kernel" "$(mini "$mode")" -- \
		-drive "file=$SCRATCH/$mode.disk,format=raw,if=virtio"
done

for mode in partition-erofs partition-erofs-verity; do
	want "$mode" || continue
	extra=(); [[ $mode == *-verity ]] && extra=(--verity)
	pair_build "$moddir" "$kver" "$SCRATCH/$mode" --rootdir "$payload" --placement partition --bootfs PARTLABEL=iofs_b "${extra[@]}" 2>/dev/null
	isz=$(( $(stat -c %s "$(img "$mode")") / 1048576 + 8 ))
	truncate -s $((2 * isz + 4))M "$SCRATCH/$mode.disk"
	printf 'label: gpt\nsize=%sMiB, name=iofs_a\nsize=%sMiB, name=iofs_b\n' "$isz" "$isz" | sfdisk -q "$SCRATCH/$mode.disk"
	start=$(sfdisk -J "$SCRATCH/$mode.disk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][1]["start"])')
	dd if="$(img "$mode")" of="$SCRATCH/$mode.disk" bs=512 seek="$start" conv=notrunc status=none
	QEMU_MEM=3072 boots "$mode" "$(sz "$(mini "$mode")" "$(img "$mode")")" \
		"a partition of its own (GPT, PARTLABEL=); no boot filesystem driver$([[ $mode == *-verity ]] && echo "; dm-verity")" \
		"$kernel" "$(mini "$mode")" -- -drive "file=$SCRATCH/$mode.disk,format=raw,if=virtio"
done

if want initrd-erofs; then
	pair_build "$moddir" "$kver" "$SCRATCH/initrd" --rootdir "$payload" --placement initrd 2>/dev/null
	QEMU_MEM=3072 boots initrd-erofs "$(sz "$(mini initrd)")" "only the mini initramfs (holding the image); loop" \
		"$kernel" "$(mini initrd)"
fi

for tag in pmem pmemz; do
	mode=$([[ $tag == pmem ]] && echo pmem-erofs || echo pmem-erofs-lz4hc)
	want "$mode" || continue
	extra=(); [[ $tag == pmemz ]] && extra=(--compression lz4hc)
	pair_build "$moddir" "$kver" "$SCRATCH/$tag" --rootdir "$payload" --placement pmem "${extra[@]}" 2>/dev/null
	region=$(( ($(stat -c %s "$(img "$tag")") + (128 << 20) - 1) / (128 << 20) * 128 ))
	if [[ $arch == arm64 ]]; then
		# RAM is 0x40000000 + 3072 MiB; the region is its top, outside mem=.
		addr=$((0x40000000 + ((3072 - region) << 20)))
		QEMU_MEM=3072 virt_dtb "$SCRATCH/$tag.dtb" "$(pmem_region_node "$addr" $((region << 20)))"
		QEMU_MEM=3072 boots "$mode" "$(sz "$(mini "$tag")" "$(img "$tag")")" \
			"the bootloader loads the image into RAM outside /memory, a device-tree pmem-region node (${region} MiB); DAX" \
			"$kernel" "$(mini "$tag")" "mem=$((3072 - region))M" -- \
			-dtb "$SCRATCH/$tag.dtb" -device "loader,file=$(img "$tag"),addr=$addr,force-raw=on"
	else
		QEMU_MEM=3072 boots "$mode" "$(sz "$(mini "$tag")" "$(img "$tag")")" \
			"the bootloader loads the image into RAM kept as pmem (memmap=${region}M!ADDR); DAX" \
			"$kernel" "$(mini "$tag")" "memmap=${region}M!0x40000000" -- \
			-device "loader,file=$(img "$tag"),addr=0x40000000,force-raw=on"
	fi
done

if want virtio-pmem && [[ $arch == arm64 ]]; then
	boot_log "virtio-pmem: left out on arm64 (this qemu-system-aarch64 has no virtio-pmem-pci)"
elif want virtio-pmem; then
	pair_build "$moddir" "$kver" "$SCRATCH/vpmem" --rootdir "$payload" --placement virtio-pmem 2>/dev/null
	QEMU_MEM=3072,slots=2,maxmem=16G boots virtio-pmem "$(sz "$(mini vpmem)" "$(img vpmem)")" \
		"a VM with a virtio-pmem device backed by the image file; DAX" "$kernel" "$(mini vpmem)" -- \
		-object "memory-backend-file,id=iofs,mem-path=$(img vpmem),size=$(stat -c %s "$(img vpmem)"),readonly=on" \
		-device virtio-pmem-pci,memdev=iofs
fi

{
	echo "Payload: ${payload_mib} MiB of bench/payload.py content; kernel $kver; $machine -icount shift=0,sleep=$icount_sleep, 1 vCPU, 3072 MiB;"
	echo "$runs boots per mode: the median guest time and its spread (min-max), median MemAvailable and ready time"
	echo "($(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet || echo ', with uncommitted changes'), $(date -u +%Y-%m-%d))."
	echo
	echo "| mode | guest s at payload init | spread s | MemAvailable MiB | initoverlayfs ready (ms) | booted MiB | needs |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} | tee "$out/table.md"
