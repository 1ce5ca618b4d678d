#!/usr/bin/env bash
# Issue 17: --placement initrd for arm64: the image inside the mini
# initramfs (an uncompressed cpio appended to it), no disk at all; mounted
# through a loop device on Debian 13's 6.12 and Debian 12's 6.1.
. "$(dirname "$0")/lib/setup_arm64.sh"
pair_payload "$SCRATCH/payload"
for k in 612 61; do
	ver_var=A${k}_VER moddir_var=A${k}_MODDIR kernel_var=A${k}_KERNEL
	kver=${!ver_var}
	out=$SCRATCH/out-$k
	pair_build "${!moddir_var}" "$kver" "$out" --rootdir "$SCRATCH/payload" --placement initrd 2>/dev/null
	[[ -z $(find "$out" -name 'initoverlayfs-*') ]] || boot_fail "$kver: a separate image was written"
	grep -q 'image           inside the mini initramfs' "$out.summary" || boot_fail "$kver: summary"
	log=$SCRATCH/console-$k.log rc=0
	QEMU_TIMEOUT=240 qemu_boot "${!kernel_var}" "$out/initramfs-$kver.img" "$log" || rc=$?
	[[ $rc != 124 ]] || { console_dump "$log"; boot_fail "$kver: QEMU timed out"; }
	console_reject "$log" 'Kernel panic' "$kver: no kernel panic"
	console_expect "$log" "initoverlayfs: mount: initramfs:/initoverlayfs-$(re_escape "$kver").img \(erofs, loop device /dev/loop[0-9]+\)" "$kver: image from the initramfs via loop"
	console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "$kver: payload init ran"
	console_expect "$log" 'PAYLOAD-ROOT-FSTYPE 794c7630' "$kver: root is overlayfs"
	console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "$kver: payload files intact"
	console_reject "$log" 'virtio_blk|EXT4-fs' "$kver: no disk driver, no boot filesystem"
	console_expect "$log" 'reboot: Power down' "$kver: clean poweroff"
	boot_log "$kver: $(grep -ao 'initoverlayfs: ready in .*' "$log" | tr -d '\r'), $QEMU_BOOT_WALL s wall"
done
echo "PASS: $BOOT_TEST_NAME"
