#!/usr/bin/env bash
# The whole path: boot filesystem found by LABEL among this machine's block
# devices, image mounted under a volatile tmpfs overlay, root switched, the
# image's own /init run with the kernel's argv and environment, and the old
# initramfs freed.
. "$(dirname "$0")/common.inc"

make_payload "$SCRATCH/payload"
mkfs.erofs -zlz4hc "$SCRATCH/payload.erofs" "$SCRATCH/payload" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" initoverlayfs-test.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs initoverlayfs-test.img
timeout 10
onfailure poweroff
this-key-does-not-exist 1"

run_pid1 one "two words" --three

expect_out PAYLOAD-INIT-RAN
expect_out PAYLOAD-DONE
expect_out "pid=1"
expect_out "argv0=/init"
expect_out "arg=[one]"
expect_out "arg=[two words]"
expect_out "arg=[--three]"
[ "$(grep -c '^arg=' <<<"$OUT")" = 3 ] || die "argv changed"
expect_out "env-FOO=[bar baz]"
expect_out "environ=[FOO=bar baz HOME=/ TERM=linux ]"
# statfs f_type: OVERLAYFS_SUPER_MAGIC, EROFS_SUPER_MAGIC_V1, TMPFS_MAGIC
expect_out "root-fstype=794c7630"
expect_out "root-is-overlay=yes"
expect_out "write=ok"
expect_out "staging-mounts=0"
expect_out "boot-mounts=0"
expect_out "payload-file=payload-file-content"

expect_log "unknown key 'this-key-does-not-exist'"
expect_log "device: LABEL=$BOOT_LABEL is $BOOT_DEV (ext4)"
expect_log "mount: /boot/initoverlayfs-test.img (erofs, file-backed) under a volatile tmpfs overlay"
expect_log "ready in "
expect_log "freeing the old initramfs"

# The old initramfs's files are gone from its tmpfs.
left=$(find "$MINI" -mindepth 1 | head)
[ -z "$left" ] || die "old initramfs not freed: $left"
echo "PASS: $TEST_NAME"
