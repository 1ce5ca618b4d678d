#!/usr/bin/env bash
# Systemd mode on 6.12 (--mode systemd): dracut makes a mini initramfs with
# systemd and udev; pre-initoverlayfs.service waits through udev for the
# boot filesystem and mounts the image under the overlay at /sysroot, and
# pre-initoverlayfs-switch-root.service has systemd switch root into it and
# run the payload's /init. Then a failure boot: the image is missing, the
# service fails, and the config's onfailure (poweroff) is carried out by
# systemd as the unit's FailureAction. Last, the builder standing in for
# `dracut -f OUTPUT KVER` (--dracut): dracut makes the full initramfs, and
# its own systemd must start afresh after the switch (no state handed over
# from the mini initramfs's systemd). And once on the 6.1 cloud kernel: udev
# loads virtio_pci (a module there), the kernel loads loop through the
# static /dev/loop-control node, and the image is mounted through it.
. "$(dirname "$0")/lib/setup.sh"
command -v dracut >/dev/null || boot_fail "dracut is not installed (scripts/install-deps.sh installs dracut-core)"
pair_payload "$SCRATCH/payload"
pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/out" --mode systemd --rootdir "$SCRATCH/payload" \
	--bootfs LABEL=iofsboot --bootfstype ext4 --set timeout=20s
mini=$SCRATCH/out/initramfs-$K612_VER.img
image=$(re_escape "$(basename "$(pair_image "$SCRATCH/out" "$K612_VER")")")
grep -q 'mini initramfs .*systemd mode: dracut with systemd and udev' "$SCRATCH/out.summary" ||
	boot_fail "summary does not name systemd mode"

# What dracut put in: systemd as /init, our program and units, our target
# standing in for initrd.target, the config without a module load plan.
mkdir -p "$SCRATCH/unpacked"
(cd "$SCRATCH/unpacked" && zstd -dc "$mini" | cpio -id --quiet)
u=$SCRATCH/unpacked
[[ $(readlink "$u/init") == */systemd ]] || boot_fail "/init of the mini initramfs is not systemd"
cmp -s "$u/usr/sbin/initoverlayfs" "$(dirname "$BUILDER")/initoverlayfs" || boot_fail "the early-boot program is not the one built"
for unit in pre-initoverlayfs.target pre-initoverlayfs.service pre-initoverlayfs-switch-root.service; do
	[[ -f $u/usr/lib/systemd/system/$unit ]] || boot_fail "$unit missing"
done
[[ $(readlink "$u/etc/systemd/system/initrd.target") == */pre-initoverlayfs.target ]] || boot_fail "initrd.target is not pre-initoverlayfs.target"
[[ -e $u/etc/initrd-release ]] || boot_fail "no /etc/initrd-release"
grep -q '^onfailure poweroff' "$u/etc/initoverlayfs.conf" || boot_fail "config lacks onfailure"
grep -q '^modules' "$u/etc/initoverlayfs.conf" && boot_fail "config names a module load plan in systemd mode"
grep -q '^FailureAction=poweroff' "$u/etc/systemd/system/pre-initoverlayfs.service.d/onfailure.conf" || boot_fail "onfailure poweroff is not the unit's FailureAction"
[[ -z $(find "$u" -name 'virtio_blk.ko*') ]] && boot_fail "virtio_blk is not in the mini initramfs"

# 1. The boot.
pair_disk "$SCRATCH/out" "$SCRATCH/disk.img" iofsboot "$(cat /proc/sys/kernel/random/uuid)"
log=$SCRATCH/console.log
QEMU_TIMEOUT=400 pair_boot "$K612_KERNEL" "$mini" "$SCRATCH/disk.img" "$log"
console_expect "$log" 'systemd\[1\]: Running in initrd' "systemd runs the mini initramfs"
console_expect "$log" 'initoverlayfs: initoverlayfs .* started [0-9]+ ms after boot \(systemd service mode\)' "the service started the program"
console_expect "$log" 'initoverlayfs: device: LABEL=iofsboot is /dev/vda \(udev\), found in [0-9]+ ms' "found through udev's link"
console_expect "$log" "initoverlayfs: mount: /boot/$image \(erofs, file-backed\) under a volatile tmpfs overlay at /sysroot" "image under the overlay"
console_expect "$log" 'initoverlayfs: ready in [0-9]+ ms \(device [0-9]+ ms, mount [0-9]+ ms\); systemd switches root to /sysroot and runs /init' "summary line"
console_expect "$log" 'Finished .*pre-initoverlayfs' "pre-initoverlayfs.service ran"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "payload init ran as PID 1"
console_expect "$log" 'PAYLOAD-ROOT-FSTYPE 794c7630' "root is overlayfs"
console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "payload files intact"
console_reject "$log" 'FAILED|Failed to start|initrd-switch-root|sysroot\.mount' "no failed unit, no normal initrd switch"
console_expect "$log" 'reboot: Power down' "clean poweroff"

# 2. The image is missing: the service fails, systemd powers off.
mkdir -p "$SCRATCH/empty"
disk_ext4_make "$SCRATCH/missing.img" 64 iofsboot "$(cat /proc/sys/kernel/random/uuid)" "$SCRATCH/empty"
log=$SCRATCH/missing.log
QEMU_TIMEOUT=400 pair_boot "$K612_KERNEL" "$mini" "$SCRATCH/missing.img" "$log"
console_expect "$log" "initoverlayfs: find image /boot/$image: No such file or directory \(errno=2\)" "cause logged"
console_expect "$log" "initoverlayfs: failed; pre-initoverlayfs.service fails" "failure logged"
console_expect "$log" 'FAILED.*Failed to start .*pre-initov' "systemd reports the unit failed"
console_expect "$log" 'Reached target .*shutdown.target' "systemd shuts down"
console_reject "$log" 'initoverlayfs: switch: |PAYLOAD-INIT-RAN' "no switch root after the failure"
console_expect "$log" 'reboot: Power down' "FailureAction=poweroff powered off"

# 3. In place of dracut: the full initramfs is dracut's, with systemd.
mkdir -p "$SCRATCH/wrap"
"$BUILDER" --mode systemd --bootfs LABEL=iofsboot --bootfstype ext4 --set onfailure=poweroff \
	--dracut -q -f "$SCRATCH/wrap/initrd.img-$K612_VER" --kmoddir "$K612_MODDIR" "$K612_VER" \
	>"$SCRATCH/wrap.summary" 2>"$SCRATCH/wrap.err" || { cat "$SCRATCH/wrap.err" >&2; boot_fail "--dracut failed"; } &&
	cat "$SCRATCH/wrap.summary" >&2
[[ -f $SCRATCH/wrap/initrd.img-$K612_VER && -f $(pair_image "$SCRATCH/wrap" "$K612_VER") ]] ||
	boot_fail "--dracut did not leave the mini initramfs at OUTPUT and the image beside it"
grep -q "input .*initramfs.img ([0-9.]* MiB, " "$SCRATCH/wrap.summary" || boot_fail "summary does not show dracut's initramfs as the input"
pair_disk "$SCRATCH/wrap" "$SCRATCH/full.img" iofsboot "$(cat /proc/sys/kernel/random/uuid)"
log=$SCRATCH/full.log
# dracut gets no root= here: its initrd goes through its hooks and then
# cannot switch root, and powers off (rd.emergency=poweroff).
QEMU_TIMEOUT=400 pair_boot "$K612_KERNEL" "$SCRATCH/wrap/initrd.img-$K612_VER" "$SCRATCH/full.img" "$log" \
	rd.shell=0 rd.emergency=poweroff
console_expect "$log" 'initoverlayfs: switch: asking systemd to switch root to /sysroot and execute /init' "switch requested"
awk '/initoverlayfs: switch: asking systemd/ { f = 1 } f' "$log" >"$SCRATCH/after.log"
console_expect "$SCRATCH/after.log" 'Welcome to .*dracut.*Initramfs' "dracut's systemd runs from the image"
console_expect "$SCRATCH/after.log" 'Finished .*dracut-cmdline.service' "dracut's own initrd flow runs"
console_reject "$SCRATCH/after.log" 'pre-initoverlayfs' "no state handed over from the mini initramfs's systemd"

# 4. 6.1: no file-backed EROFS, virtio_pci a module.
pair_build "$K61_MODDIR" "$K61_VER" "$SCRATCH/out61" --mode systemd --rootdir "$SCRATCH/payload" \
	--bootfs LABEL=iofsboot --bootfstype ext4 --set timeout=20s
pair_disk "$SCRATCH/out61" "$SCRATCH/disk61.img" iofsboot "$(cat /proc/sys/kernel/random/uuid)"
log=$SCRATCH/k61.log
QEMU_TIMEOUT=400 pair_boot "$K61_KERNEL" "$SCRATCH/out61/initramfs-$K61_VER.img" "$SCRATCH/disk61.img" "$log"
console_expect "$log" 'initoverlayfs: device: LABEL=iofsboot is /dev/vda \(udev\)' "udev loaded virtio_pci and virtio_blk"
console_expect "$log" "initoverlayfs: mount: /boot/$(re_escape "$(basename "$(pair_image "$SCRATCH/out61" "$K61_VER")")") \(erofs, loop device /dev/loop[0-9]+\)" "image through a loop device"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "payload init ran as PID 1"
console_expect "$log" 'reboot: Power down' "clean poweroff"
echo "PASS: $BOOT_TEST_NAME"
