#!/usr/bin/env bash
# 6.12: a directory payload, boot filesystem found by LABEL=, the image
# mounted file-backed (no loop device), the payload's own /init on the overlay.
. "$(dirname "$0")/lib/setup.sh"
pair_payload "$SCRATCH/payload"
pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/out" --rootdir "$SCRATCH/payload" \
	--bootfs LABEL=iofsboot --bootfstype ext4
pair_disk "$SCRATCH/out" "$SCRATCH/disk.img" iofsboot "$(cat /proc/sys/kernel/random/uuid)"
log=$SCRATCH/console.log
pair_boot "$K612_KERNEL" "$SCRATCH/out/initramfs-$K612_VER.img" "$SCRATCH/disk.img" "$log"
console_expect "$log" 'initoverlayfs: modules: ([0-9]+) of \1 loaded in [0-9]+ ms \([1-9][0-9]* in the plan not needed here\)' "every requested module loaded, the rest left alone"
# The generic set has USB, SATA, NVMe and MMC drivers; this VM has none of
# those devices, so none of their stacks may be loaded.
console_reject "$log" 'usbcore: registered|libata version|nvme|sdhci: Secure Digital' "drivers for absent hardware stay unloaded"
console_reject "$log" 'loop: module loaded' "no loop driver where the file-backed mount works"
console_expect "$log" 'initoverlayfs: device: LABEL=iofsboot is /dev/vda \(ext4\)' "found by label"
console_expect "$log" "mount: /boot/$(re_escape "$(basename "$(pair_image "$SCRATCH/out" "$K612_VER")")") \(erofs, file-backed\) under a volatile tmpfs overlay" "file-backed mount"
console_expect "$log" 'initoverlayfs: ready in [0-9]+ ms' "summary line"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "payload init ran as PID 1"
console_expect "$log" 'PAYLOAD-ROOT-FSTYPE 794c7630' "root is overlayfs"
console_expect "$log" 'PAYLOAD-STAGING 0 mounts' "staging mounts detached"
console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "payload files intact"
console_reject "$log" "PAYLOAD-BOOT .*initoverlayfs-" "the early /boot mount is not carried into the initrd"
console_expect "$log" 'reboot: Power down' "clean poweroff"
echo "PASS: $BOOT_TEST_NAME"
