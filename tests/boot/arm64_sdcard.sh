#!/usr/bin/env bash
# Issue 17: the boot filesystem on an SD card, as on a board: QEMU's
# sdhci-pci controller with an sd-card on the virt machine (the closest it
# has to a board's SD host). The builder's generic set carries sdhci-pci and
# its dependencies, loaded on demand for the controller; mmc_block is built
# into both arm64 kernels. The card is found by LABEL= as /dev/mmcblk0, on
# Debian 13's 6.12 (file-backed) and Debian 12's 6.1 (loop device).
. "$(dirname "$0")/lib/setup_arm64.sh"
pair_payload "$SCRATCH/payload"
for k in 612 61; do
	ver_var=A${k}_VER moddir_var=A${k}_MODDIR kernel_var=A${k}_KERNEL
	kver=${!ver_var}
	out=$SCRATCH/out-$k
	pair_build "${!moddir_var}" "$kver" "$out" --rootdir "$SCRATCH/payload" \
		--bootfs LABEL=iofssd --bootfstype ext4 2>/dev/null
	# An SD card's size is a power of two (QEMU refuses others): 64 MiB.
	pair_disk "$out" "$SCRATCH/sd-$k.img" iofssd "$(cat /proc/sys/kernel/random/uuid)"
	log=$SCRATCH/console-$k.log rc=0
	QEMU_TIMEOUT=240 qemu_boot "${!kernel_var}" "$out/initramfs-$kver.img" "$log" -- \
		-device sdhci-pci -drive "if=none,id=iofs-sd,file=$SCRATCH/sd-$k.img,format=raw" \
		-device sd-card,drive=iofs-sd || rc=$?
	[[ $rc != 124 ]] || { console_dump "$log"; boot_fail "$kver: QEMU timed out"; }
	console_reject "$log" 'Kernel panic' "$kver: no kernel panic"
	console_expect "$log" 'sdhci-pci 0000:00:0[0-9a-f]\.0: SDHCI controller' "$kver: sdhci-pci bound to the controller"
	console_expect "$log" 'mmcblk0: mmc0:[0-9a-f]+ ' "$kver: the card appeared"
	console_expect "$log" 'initoverlayfs: device: LABEL=iofssd is /dev/mmcblk0 \(ext4\)' "$kver: found by label on the SD card"
	console_reject "$log" 'virtio_blk' "$kver: no virtio disk driver"
	console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "$kver: payload init ran as PID 1"
	console_expect "$log" 'PAYLOAD-ROOT-FSTYPE 794c7630' "$kver: root is overlayfs"
	console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "$kver: payload files intact"
	console_expect "$log" 'reboot: Power down' "$kver: clean poweroff"
	boot_log "$kver: $(grep -ao 'initoverlayfs: ready in .*' "$log" | tr -d '\r'), $QEMU_BOOT_WALL s wall"
done
echo "PASS: $BOOT_TEST_NAME"
