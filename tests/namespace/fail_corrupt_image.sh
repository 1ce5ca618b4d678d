#!/usr/bin/env bash
# The image's EROFS superblock (at byte 1024) is overwritten.
. "$(dirname "$0")/common.inc"
make_payload "$SCRATCH/payload"
mkfs.erofs -zlz4hc "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
dd if=/dev/urandom of="$SCRATCH/payload.erofs" bs=1 seek=1024 count=128 conv=notrunc status=none
make_bootfs "$SCRATCH/payload.erofs" corrupt.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs corrupt.img
timeout 10
onfailure poweroff"
run_pid1
# Its magic is gone: refused before the kernel is asked to mount it.
expect_log "check image /boot/corrupt.img: read EROFS superblock: no EROFS magic at byte 1024 (found 0x"
expect_poweroff
echo "PASS: $TEST_NAME"
