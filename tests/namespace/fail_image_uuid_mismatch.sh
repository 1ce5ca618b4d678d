#!/usr/bin/env bash
# The mini initramfs names an image by its EROFS UUID (fs_uuid, written by
# the builder); the file on the boot filesystem is another image (an old
# mini initramfs beside a new image): refused before mounting it.
. "$(dirname "$0")/common.inc"
make_payload "$SCRATCH/payload"
mkfs.erofs -U 11111111-2222-4333-8444-555555555555 "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" other.img
mini_expecting() {
  make_mini "bootfs LABEL=$BOOT_LABEL
fs other.img
fs_uuid $1
timeout 10
onfailure poweroff"
}
mini_expecting 0123ABCD-0000-4000-8000-0123456789AB
run_pid1
expect_log "check image /boot/other.img is not the one this mini initramfs was built with (UUID 11111111-2222-4333-8444-555555555555, expected 0123abcd-0000-4000-8000-0123456789ab)"
expect_no_log "mount: /boot/other.img"
expect_no_log "switch:"
expect_poweroff
# The same image with its own UUID in the config boots.
umount "$MINI"
mini_expecting 11111111-2222-4333-8444-555555555555
run_pid1
expect_out PAYLOAD-INIT-RAN
echo "PASS: $TEST_NAME"
