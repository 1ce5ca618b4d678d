#!/usr/bin/env bash
# The boot filesystem appears a second after the program started waiting:
# it must be picked up from the kernel's uevent (loop attach sends "change"),
# not from a rescan after a sleep.
. "$(dirname "$0")/common.inc"
make_payload "$SCRATCH/payload"
mkfs.erofs -zlz4hc "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" late.img
losetup -d "$BOOT_DEV"
make_mini "bootfs LABEL=$BOOT_LABEL
fs late.img
timeout 20
onfailure poweroff"
( sleep 1; losetup -f --show "$SCRATCH/bootfs.ext4" > "$SCRATCH/late-dev" ) &
attacher=$!
run_pid1
wait $attacher
LOOPS+=("$(cat "$SCRATCH/late-dev")")
expect_out PAYLOAD-INIT-RAN
expect_log "device: LABEL=$BOOT_LABEL is $(cat "$SCRATCH/late-dev") (ext4), found in "
ms=$(grep -o 'found in [0-9]* ms' <<<"$LOG" | grep -o '[0-9]*')
# It waited for the device (>= ~1 s) and did not time out.
[ "$ms" -ge 900 ] && [ "$ms" -lt 20000 ] || die "found after $ms ms"
echo "PASS: $TEST_NAME"
