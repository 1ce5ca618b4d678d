#!/usr/bin/env bash
# Issue 17: failure boots of an arm64 pair (Debian 13's 6.12) in
# qemu-system-aarch64: the image missing from the boot filesystem, and no
# disk with the boot filesystem's LABEL. Each logs its cause, runs the
# poweroff failure action, does not panic and does not run the payload.
. "$(dirname "$0")/lib/setup_arm64.sh"
pair_payload "$SCRATCH/payload"
out=$SCRATCH/out
pair_build "$A612_MODDIR" "$A612_VER" "$out" --rootdir "$SCRATCH/payload" \
	--bootfs LABEL=iofsboot --bootfstype ext4 --set timeout=4s 2>/dev/null
mini=$out/initramfs-$A612_VER.img
image=$(re_escape "$(basename "$(pair_image "$out" "$A612_VER")")")

expect_failure() { # LOG ERE WHAT
	console_expect "$1" "$2" "$3"
	console_expect "$1" 'initoverlayfs: failure action: poweroff' "$3: failure action"
	console_expect "$1" 'reboot: Power down' "$3: powered off"
	console_reject "$1" 'PAYLOAD-INIT-RAN' "$3: payload must not run"
	boot_log "$3: $(grep -o 'initoverlayfs: failure action: .*' "$1" | tr -d '\r'), $QEMU_BOOT_WALL s wall"
}

# 1. The boot filesystem is there (by its LABEL), the image is not.
mkdir -p "$SCRATCH/empty"
disk_ext4_make "$SCRATCH/missing.img" 64 iofsboot "$(cat /proc/sys/kernel/random/uuid)" "$SCRATCH/empty"
pair_boot "$A612_KERNEL" "$mini" "$SCRATCH/missing.img" "$SCRATCH/missing.log"
console_expect "$SCRATCH/missing.log" 'initoverlayfs: device: LABEL=iofsboot is /dev/vda \(ext4\)' "missing image: boot filesystem found"
expect_failure "$SCRATCH/missing.log" \
	"initoverlayfs: find image /boot/$image: No such file or directory \(errno=2\)" "missing image"

# 2. The image is on a disk labelled otherwise: LABEL=iofsboot never comes.
pair_disk "$out" "$SCRATCH/other.img" otherboot "$(cat /proc/sys/kernel/random/uuid)"
pair_boot "$A612_KERNEL" "$mini" "$SCRATCH/other.img" "$SCRATCH/label.log"
expect_failure "$SCRATCH/label.log" \
	"initoverlayfs: boot filesystem LABEL=iofsboot not found within 4000 ms; block devices seen: .*vda \(ext4 LABEL=otherboot" "wrong LABEL"
echo "PASS: $BOOT_TEST_NAME"
