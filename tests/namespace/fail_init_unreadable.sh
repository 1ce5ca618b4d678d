#!/usr/bin/env bash
# The image mounts and its /init is there, but the compressed block holding
# the start of its data is damaged (what a failing disk leaves): reading it
# fails with EUCLEAN, as execve() would after the switch. Found before the
# switch, with the cause, and the failure action follows.
. "$(dirname "$0")/common.inc"
command -v dump.erofs >/dev/null || skip "no dump.erofs (erofs-utils) to find the init's blocks"
make_payload "$SCRATCH/payload"
# Long enough to be compressed into blocks of its own, not inlined.
for i in $(seq 1 3000); do echo "# padding line $i, so that the init has data blocks of its own"; done >>"$SCRATCH/payload/init"
mkfs.erofs -zlz4hc "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
# "0:  0..  N |  N :  PHYS..  END |  LEN": the first extent's physical start.
first=$(dump.erofs --path=/init -e "$SCRATCH/payload.erofs" | awk '$1 == "0:" { sub(/\.\./, "", $7); print $7 }')
[[ $first =~ ^[0-9]+$ ]] && ((first % 4096 == 0 && first > 0)) || die "no first extent of /init in: $(dump.erofs --path=/init -e "$SCRATCH/payload.erofs")"
dd if=/dev/zero of="$SCRATCH/payload.erofs" bs=4096 seek=$((first / 4096)) count=1 conv=notrunc status=none
make_bootfs "$SCRATCH/payload.erofs" image.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs image.img
onfailure poweroff"
run_pid1
expect_log "no init could be run in the new root; tried "
expect_log "/init (first page unreadable: Structure needs cleaning), /sbin/init (No such file or directory)"
expect_no_log "switch: "
expect_poweroff
echo "PASS: $TEST_NAME"
