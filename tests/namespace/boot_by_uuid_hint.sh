#!/usr/bin/env bash
# UUID= with a bootfs_hint pointing at the right device: found at once.
# A hint that names a missing device must not matter either.
. "$(dirname "$0")/common.inc"

make_payload "$SCRATCH/payload"
mkfs.erofs -zlz4hc "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" sub.img
mkdir -p "$SCRATCH/x"
make_mini "bootfs UUID=${BOOT_UUID^^}
bootfs_hint $BOOT_DEV
fs /sub.img
timeout 10
onfailure poweroff"
run_pid1
expect_out PAYLOAD-INIT-RAN
expect_log "device: UUID=${BOOT_UUID^^} is $BOOT_DEV (ext4)"

umount "$MINI"; MOUNTS=()
make_mini "bootfs UUID=$BOOT_UUID
bootfs_hint /dev/does-not-exist
fs sub.img
onfailure poweroff"
run_pid1
expect_out PAYLOAD-INIT-RAN
echo "PASS: $TEST_NAME"
