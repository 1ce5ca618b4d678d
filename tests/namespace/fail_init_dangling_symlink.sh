#!/usr/bin/env bash
# The image's /init is a symlink to a file it does not hold (a dracut image
# whose systemd is missing): named as such before the switch, and the
# failure action follows with the mini initramfs still the root.
. "$(dirname "$0")/common.inc"
make_payload "$SCRATCH/payload"
rm "$SCRATCH/payload/init"
ln -s /usr/lib/systemd/systemd "$SCRATCH/payload/init"
mkfs.erofs "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" image.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs image.img
onfailure poweroff"
run_pid1
expect_log "no init could be run in the new root; tried "
expect_log "/init (a dangling symlink to /usr/lib/systemd/systemd), /sbin/init (No such file or directory)"
expect_no_log "switch: "
expect_poweroff
echo "PASS: $TEST_NAME"
