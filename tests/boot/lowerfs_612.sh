#!/usr/bin/env bash
# --lowerfs squashfs, ext4 and btrfs on 6.12: each image made by its own
# tool, mounted read-only through a loop device (none of them mounts a
# file directly) without journal or log replay, the payload run from it.
. "$(dirname "$0")/lib/setup.sh"
command -v mksquashfs >/dev/null && command -v mkfs.btrfs >/dev/null ||
	boot_fail "mksquashfs or mkfs.btrfs missing (scripts/install-deps.sh installs them)"
pair_payload "$SCRATCH/payload"
for fs in squashfs ext4 btrfs; do
	uuid=$(cat /proc/sys/kernel/random/uuid)
	pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/$fs" --rootdir "$SCRATCH/payload" \
		--bootfs "UUID=$uuid" --bootfstype ext4 --lowerfs "$fs"
	image=$(pair_image "$SCRATCH/$fs" "$K612_VER")
	[[ $(blkid -o value -s TYPE "$image") == "$fs" ]] ||
		boot_fail "$fs: the image is not $fs"
	pair_disk "$SCRATCH/$fs" "$SCRATCH/$fs.disk" boot "$uuid"
	log=$SCRATCH/$fs.log
	pair_boot "$K612_KERNEL" "$SCRATCH/$fs/initramfs-$K612_VER.img" "$SCRATCH/$fs.disk" "$log"
	console_expect "$log" "initoverlayfs: mount: /boot/$(re_escape "$(basename "$image")") \($fs, loop device /dev/loop[0-9]+(, options [a-z=]+)?\)" "$fs through a loop device"
	console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "$fs: payload init ran"
	console_expect "$log" 'PAYLOAD-STAGING 0 mounts' "$fs: staging mounts detached"
	console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "$fs: payload files intact"
	console_reject "$log" 'erofs' "$fs: no EROFS involved"
done
echo "PASS: $BOOT_TEST_NAME"
