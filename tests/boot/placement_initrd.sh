#!/usr/bin/env bash
# --placement initrd: the image travels inside the mini initramfs (an
# uncompressed cpio appended to it); no disk at all. Mounted through a loop
# device on both kernels (a file on the initramfs cannot be mounted
# file-backed). Prints MemAvailable next to the disk placement's.
. "$(dirname "$0")/lib/setup.sh"
pair_payload "$SCRATCH/payload"
boot_one() { # KERNEL MODDIR KVER TAG
	local kernel=$1 moddir=$2 kver=$3 tag=$4
	pair_build "$moddir" "$kver" "$SCRATCH/$tag" --rootdir "$SCRATCH/payload" --placement initrd
	[[ -z $(find "$SCRATCH/$tag" -name 'initoverlayfs-*') ]] || boot_fail "a separate image was written"
	grep -q 'image           inside the mini initramfs' "$SCRATCH/$tag.summary" || boot_fail "summary"
	local log=$SCRATCH/$tag.log rc=0
	QEMU_TIMEOUT=240 qemu_boot "$kernel" "$SCRATCH/$tag/initramfs-$kver.img" "$log" || rc=$?
	[[ $rc != 124 ]] || { console_dump "$log"; boot_fail "QEMU timed out"; }
	console_reject "$log" 'Kernel panic' "no kernel panic"
	console_expect "$log" "initoverlayfs: mount: initramfs:/initoverlayfs-$(re_escape "$kver").img \(erofs, loop device /dev/loop[0-9]+\)" "image from the initramfs via loop"
	console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "payload init ran"
	console_expect "$log" 'PAYLOAD-ROOT-FSTYPE 794c7630' "root is overlayfs"
	console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "payload files intact"
	console_reject "$log" 'virtio_blk|EXT4-fs' "no disk driver, no boot filesystem"
	boot_log "$tag: $(grep -ao 'PAYLOAD-MEM.*' "$log" | tr -d '\r') with the image in the initramfs"
}
boot_one "$K612_KERNEL" "$K612_MODDIR" "$K612_VER" k612
boot_one "$K61_KERNEL" "$K61_MODDIR" "$K61_VER" k61
echo "PASS: $BOOT_TEST_NAME"
