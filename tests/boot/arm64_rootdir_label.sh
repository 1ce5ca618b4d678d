#!/usr/bin/env bash
# Issue 17: arm64 pairs booted in qemu-system-aarch64 (TCG, -machine virt,
# direct kernel boot), the image on an ext4 virtio disk found by LABEL=:
# Debian 13's 6.12 mounts it file-backed, Debian 12's 6.1 (no file-backed
# EROFS, virtio_pci a module) through a loop device. The payload's own
# arm64 /init runs as PID 1 on the overlay, the staging mounts detached.
. "$(dirname "$0")/lib/setup_arm64.sh"
pair_payload "$SCRATCH/payload"
for k in 612 61; do
	ver_var=A${k}_VER moddir_var=A${k}_MODDIR kernel_var=A${k}_KERNEL
	kver=${!ver_var}
	out=$SCRATCH/out-$k
	pair_build "${!moddir_var}" "$kver" "$out" --rootdir "$SCRATCH/payload" \
		--bootfs LABEL=iofsboot --bootfstype ext4 2>/dev/null
	image=$(re_escape "$(basename "$(pair_image "$out" "$kver")")")
	pair_disk "$out" "$SCRATCH/disk-$k.img" iofsboot "$(cat /proc/sys/kernel/random/uuid)"
	log=$SCRATCH/console-$k.log
	pair_boot "${!kernel_var}" "$out/initramfs-$kver.img" "$SCRATCH/disk-$k.img" "$log"
	console_expect "$log" "Linux version $(re_escape "${kver%-arm64}")" "$kver: the kernel booted"
	console_expect "$log" "Machine model: linux,dummy-virt" "$kver: on the arm64 virt machine"
	console_expect "$log" 'initoverlayfs: initoverlayfs [0-9.]+ started' "$kver: the arm64 early-boot program ran"
	console_expect "$log" 'initoverlayfs: modules: ([0-9]+) of \1 loaded' "$kver: every requested module loaded"
	console_expect "$log" 'initoverlayfs: device: LABEL=iofsboot is /dev/vda \(ext4\)' "$kver: found by label"
	if [[ $k == 612 ]]; then
		console_expect "$log" "mount: /boot/$image \(erofs, file-backed\) under a volatile tmpfs overlay" "$kver: file-backed mount"
		console_reject "$log" 'loop: module loaded' "$kver: no loop driver where the file-backed mount works"
	else
		console_expect "$log" "mount: /boot/$image \(erofs, loop device /dev/loop0\) under a volatile tmpfs overlay" "$kver: loop-device fallback"
	fi
	console_expect "$log" 'initoverlayfs: ready in [0-9]+ ms' "$kver: summary line"
	console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "$kver: payload init ran as PID 1"
	console_expect "$log" 'PAYLOAD-ROOT-FSTYPE 794c7630' "$kver: root is overlayfs"
	console_expect "$log" 'PAYLOAD-STAGING 0 mounts' "$kver: staging mounts detached"
	console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "$kver: payload files intact"
	console_expect "$log" 'reboot: Power down' "$kver: clean poweroff"
	boot_log "$kver: $(grep -o 'initoverlayfs: ready in .*' "$log" | tr -d '\r'), $QEMU_BOOT_WALL s wall"
done
echo "PASS: $BOOT_TEST_NAME"
