#!/usr/bin/env bash
# An existing initramfs as input, as distributions make them: an
# uncompressed early cpio (microcode) in front of a compressed main archive.
# zstd on 6.12 by UUID, gzip on 6.1 by LABEL. The early cpio must reach the
# mini initramfs unchanged and first; the payload must boot from the image.
. "$(dirname "$0")/lib/setup.sh"
pair_payload "$SCRATCH/payload"
mkdir -p "$SCRATCH/early/kernel/x86/microcode"
head -c 4096 /dev/urandom >"$SCRATCH/early/kernel/x86/microcode/GenuineIntel.bin"
(cd "$SCRATCH/early" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$SCRATCH/early.cpio"
(cd "$SCRATCH/payload" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$SCRATCH/main.cpio"
cat "$SCRATCH/early.cpio" <(zstd -q -19 -c "$SCRATCH/main.cpio") >"$SCRATCH/initrd.zst"
cat "$SCRATCH/early.cpio" <(gzip -n -9 -c "$SCRATCH/main.cpio") >"$SCRATCH/initrd.gz"

check_boot() { # KERNEL MINI DISK LOG
	pair_boot "$@"
	console_expect "$4" 'PAYLOAD-INIT-RAN pid=1 ' "payload init ran"
	console_expect "$4" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "payload files intact"
	console_expect "$4" 'reboot: Power down' "clean poweroff"
}
early_first() { # MINI: the mini initramfs starts with the early archive, byte for byte
	cmp -n "$(stat -c %s "$SCRATCH/early.cpio")" "$SCRATCH/early.cpio" "$1" ||
		boot_fail "$1 does not start with the early cpio"
}

uuid=$(cat /proc/sys/kernel/random/uuid)
pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/o612" --initramfs "$SCRATCH/initrd.zst" \
	--bootfs "UUID=$uuid" --bootfstype ext4
grep -q 'zstd, early cpio' "$SCRATCH/o612.summary" || boot_fail "summary does not describe the input"
early_first "$SCRATCH/o612/initramfs-$K612_VER.img"
pair_disk "$SCRATCH/o612" "$SCRATCH/d612.img" x "$uuid"
check_boot "$K612_KERNEL" "$SCRATCH/o612/initramfs-$K612_VER.img" "$SCRATCH/d612.img" "$SCRATCH/c612.log"

pair_build "$K61_MODDIR" "$K61_VER" "$SCRATCH/o61" --initramfs "$SCRATCH/initrd.gz" \
	--bootfs LABEL=gzboot --bootfstype ext4
early_first "$SCRATCH/o61/initramfs-$K61_VER.img"
pair_disk "$SCRATCH/o61" "$SCRATCH/d61.img" gzboot "$(cat /proc/sys/kernel/random/uuid)"
check_boot "$K61_KERNEL" "$SCRATCH/o61/initramfs-$K61_VER.img" "$SCRATCH/d61.img" "$SCRATCH/c61.log"
echo "PASS: $BOOT_TEST_NAME"
