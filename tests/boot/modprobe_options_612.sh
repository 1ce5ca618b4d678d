#!/usr/bin/env bash
# 6.12: the converted system's modprobe.d and the kernel command line's
# module parameters reach the modules the mini initramfs loads, as they
# would in a classic initramfs; blacklisted drivers stay unloaded although
# their devices are there. The payload's /init reads /sys/module back.
#   modprobe.d   options overlay redirect_always_follow=N redirect_max="512"
#                (overlay loads at start; both differ from the defaults Y, 256;
#                 the quotes go to the kernel's own parameter parser)
#                blacklist virtio_scsi           (its device: -device virtio-scsi-pci)
#   cmdline      virtio-blk.num_request_queues=1 (virtio_blk loads on demand; default 0)
#                modprobe.blacklist=xhci_pci     (its device: -device qemu-xhci)
. "$(dirname "$0")/lib/setup.sh"
payload=$SCRATCH/payload
pair_payload "$payload"
mkdir -p "$payload/etc/modprobe.d"
cat >"$payload/etc/modprobe.d/iofs-test.conf" <<'EOF'
# As an administrator writes it.
options overlay redirect_always_follow=N redirect_max="512"
blacklist virtio_scsi
EOF
# The payload's /init: what the modules were loaded with, which exist, and
# the devices that wanted the blacklisted drivers.
cat >"$payload/init" <<'PAYLOAD'
#!/bin/sh
[ -e /proc/uptime ] || mount -t proc proc /proc
[ -e /sys/module ] || mount -t sysfs sysfs /sys
echo "PAYLOAD-INIT-RAN pid=$$"
for m in overlay virtio_blk; do
	for p in /sys/module/$m/parameters/*; do echo "PAYLOAD-PARAM $m.${p##*/}=$(cat "$p")"; done
done
for m in overlay virtio_blk virtio_scsi xhci_pci xhci_hcd; do
	if [ -e /sys/module/$m ]; then echo "PAYLOAD-MODULE $m present"; else echo "PAYLOAD-MODULE $m absent"; fi
done
for a in /sys/bus/pci/devices/*/modalias /sys/bus/virtio/devices/*/modalias; do
	echo "PAYLOAD-MODALIAS $(cat "$a")"
done
poweroff -f
PAYLOAD
chmod 755 "$payload/init"

pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/out" --rootdir "$payload" \
	--bootfs LABEL=iofsboot --bootfstype ext4 -v 2>"$SCRATCH/build.err" ||
	{ cat "$SCRATCH/build.err" >&2; boot_fail "build failed"; }
cat "$SCRATCH/build.err" >&2
grep -q 'modprobe.d: overlay is loaded with options redirect_always_follow=N redirect_max="512"' "$SCRATCH/build.err" ||
	boot_fail "the builder did not say it took overlay's options from modprobe.d"
grep -q 'modprobe.d: virtio_scsi is blacklisted: not loaded for a device' "$SCRATCH/build.err" ||
	boot_fail "the builder did not say virtio_scsi is blacklisted"

pair_disk "$SCRATCH/out" "$SCRATCH/disk.img" iofsboot "$(cat /proc/sys/kernel/random/uuid)"
log=$SCRATCH/console.log
# pair_boot with two more devices: the ones the blacklisted drivers are for.
rc=0
QEMU_TIMEOUT=240 qemu_boot "$K612_KERNEL" "$SCRATCH/out/initramfs-$K612_VER.img" "$log" \
	virtio-blk.num_request_queues=1 modprobe.blacklist=xhci_pci initoverlayfs.debug=1 ignore_loglevel \
	-- -drive "file=$SCRATCH/disk.img,format=raw,if=virtio" -device virtio-scsi-pci -device qemu-xhci || rc=$?
[[ $rc == 124 ]] && { console_dump "$log"; boot_fail "QEMU timed out"; }
console_reject "$log" 'Kernel panic' "no kernel panic"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1' "payload init ran as PID 1"
# modprobe.d's options, a quoted value among them.
console_expect "$log" 'PAYLOAD-PARAM overlay.redirect_always_follow=N' "modprobe.d option of overlay"
console_expect "$log" 'PAYLOAD-PARAM overlay.redirect_max=512' "quoted modprobe.d option of overlay"
console_expect "$log" 'initoverlayfs: module overlay: options redirect_always_follow=N redirect_max="512"' "options logged at debug"
# The command line's, for a module loaded on demand, '-' for '_'.
console_expect "$log" 'PAYLOAD-PARAM virtio_blk.num_request_queues=1' "command-line option of virtio_blk"
console_expect "$log" 'initoverlayfs: module virtio_blk: options num_request_queues=1' "command-line option logged"
# Blacklisted drivers: their devices are there, they are not loaded.
console_expect "$log" 'PAYLOAD-MODALIAS virtio:d00000008v' "a virtio-scsi device is present"
console_expect "$log" 'PAYLOAD-MODALIAS pci:v00001B36d0000000D.*bc0Csc03i30' "an xhci controller is present"
console_expect "$log" 'PAYLOAD-MODULE virtio_scsi absent' "modprobe.d blacklist: virtio_scsi not loaded"
console_expect "$log" 'PAYLOAD-MODULE xhci_pci absent' "modprobe.blacklist=: xhci_pci not loaded"
console_expect "$log" 'PAYLOAD-MODULE xhci_hcd absent' "nor its library"
console_expect "$log" 'PAYLOAD-MODULE overlay present' "overlay loaded"
console_expect "$log" 'reboot: Power down' "clean poweroff"
echo "PASS: $BOOT_TEST_NAME"
