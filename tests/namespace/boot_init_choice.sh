#!/usr/bin/env bash
# Which init runs, and why, is said before the switch; exactly that one is
# executed. A configured init runs in place of /init; one that the image
# lacks is warned about and the kernel's order follows.
. "$(dirname "$0")/common.inc"
make_payload "$SCRATCH/payload"
mkdir -p "$SCRATCH/payload/sbin"
cp "$SCRATCH/payload/init" "$SCRATCH/payload/sbin/init"
mkfs.erofs "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" image.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs image.img
init /sbin/init
onfailure poweroff"
run_pid1
expect_log "init: /sbin/init (the init key or initoverlayfs.init=)"
expect_out "PAYLOAD-INIT-RAN"
expect_out "argv0=/sbin/init"

# The switch freed the first mini initramfs: a new one.
make_mini "bootfs LABEL=$BOOT_LABEL
fs image.img
init /not/there
onfailure poweroff"
RUN_ID=$RUN_ID-fallback
run_pid1
expect_log "init: the configured /not/there cannot run; falling back"
expect_log "init: /init (first of the kernel's order: /init, /sbin/init, /etc/init, /bin/init; cannot run: /not/there (No such file or directory)"
expect_out "argv0=/init"
echo "PASS: $TEST_NAME"
