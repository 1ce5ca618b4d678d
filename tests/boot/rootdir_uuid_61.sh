#!/usr/bin/env bash
# 6.1-cloud: no file-backed EROFS, so the loop-device fallback; UUID=; the
# virtio PCI transport itself is a module on this kernel.
. "$(dirname "$0")/lib/setup.sh"
pair_payload "$SCRATCH/payload"
uuid=$(cat /proc/sys/kernel/random/uuid)
pair_build "$K61_MODDIR" "$K61_VER" "$SCRATCH/out" --rootdir "$SCRATCH/payload" \
	--bootfs "UUID=$uuid" --bootfstype ext4
pair_disk "$SCRATCH/out" "$SCRATCH/disk.img" somelabel "$uuid"
log=$SCRATCH/console.log
pair_boot "$K61_KERNEL" "$SCRATCH/out/initramfs-$K61_VER.img" "$SCRATCH/disk.img" "$log"
console_expect "$log" "initoverlayfs: device: UUID=$uuid is /dev/vda \(ext4\)" "found by UUID"
# virtio_pci is a module here: matched by the PCI devices' modalias, then
# virtio_blk by the virtio disk it announces.
console_expect "$log" 'initoverlayfs: modules: ([0-9]+) of \1 loaded' "on-demand modules loaded"
console_reject "$log" 'usbcore: registered|libata version' "drivers for absent hardware stay unloaded"
console_expect "$log" "mount: /boot/$(re_escape "$(basename "$(pair_image "$SCRATCH/out" "$K61_VER")")") \(erofs, loop device /dev/loop[0-9]+\)" "loop fallback"
console_expect "$log" 'initoverlayfs: modules: loop driver loaded in [0-9]+ ms, for the loop-device fallback' "loop driver loaded on ENOTBLK"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "payload init ran"
console_expect "$log" 'PAYLOAD-ROOT-FSTYPE 794c7630' "root is overlayfs"
console_expect "$log" 'PAYLOAD-STAGING 0 mounts' "staging mounts detached"
console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "payload files intact"
console_expect "$log" 'reboot: Power down' "clean poweroff"
echo "PASS: $BOOT_TEST_NAME"
