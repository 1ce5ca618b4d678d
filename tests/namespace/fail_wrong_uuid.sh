#!/usr/bin/env bash
# No device has the configured UUID: the program waits for the timeout, then
# names what it looked for and what it saw.
. "$(dirname "$0")/common.inc"
make_bootfs "" unused
missing=$(cat /proc/sys/kernel/random/uuid)
make_mini "bootfs UUID=$missing
fs x.img
timeout 1500ms
onfailure poweroff"
start=$(date +%s%N)
run_pid1
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_log "boot filesystem UUID=$missing not found within 1500 ms; block devices seen:"
expect_log "$(basename "$BOOT_DEV") (ext4 LABEL=$BOOT_LABEL UUID=$BOOT_UUID)"
expect_poweroff
[ "$elapsed_ms" -ge 1500 ] || die "gave up after $elapsed_ms ms, before the timeout"
echo "PASS: $TEST_NAME"
