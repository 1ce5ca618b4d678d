#!/usr/bin/env bash
# The first half of a valid EROFS image (what a power cut while a kernel
# update copies it leaves): the kernel would mount it and fail its reads
# only after the switch; the program refuses it before mounting it, naming
# both lengths, and takes the failure action with nothing switched.
. "$(dirname "$0")/common.inc"
make_payload "$SCRATCH/payload"
mkfs.erofs -zlz4hc "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
full=$(stat -c %s "$SCRATCH/payload.erofs")
half=$(( full / 2 / 4096 * 4096 ))
truncate -s "$half" "$SCRATCH/payload.erofs"
make_bootfs "$SCRATCH/payload.erofs" half.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs half.img
timeout 10
onfailure poweroff"
run_pid1
expect_log "check image /boot/half.img is cut short: its superblock says $full bytes, it has $half (half written?)"
expect_no_log "mount: /boot/half.img"
expect_no_log "switch:"
expect_poweroff
echo "PASS: $TEST_NAME"
