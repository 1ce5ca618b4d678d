#!/usr/bin/env bash
# root_layout tmpfs, as an initramfs-tools image needs it: the new root is a
# tmpfs (klibc's run-init refuses anything else) with one overlay per
# top-level directory. The payload's /init does what initramfs-tools' does
# at its end: mount the real root on /root, move /proc, /sys and /run into
# it, and exec run-init, which moves the real root over "/". Afterwards the
# release watcher detaches the overlays, so the image and the boot
# filesystem below them are let go: the boot filesystem's ext4 superblock
# disappears from /proc/fs/ext4 while the real root's init still runs.
. "$(dirname "$0")/common.inc"

RUN_INIT=/usr/lib/klibc/bin/run-init
[ -x "$RUN_INIT" ] || die "missing $RUN_INIT (klibc-utils; see README: install the test dependencies)"
KLIBC_SO=$(ls /lib/klibc-*.so /usr/lib/klibc-*.so 2>/dev/null | head -1)
[ -n "$KLIBC_SO" ] || die "missing klibc's shared library"

make_payload "$SCRATCH/payload"
P=$SCRATCH/payload
mkdir -p "$P/root" "$P/lib"
cp "$RUN_INIT" "$P/bin/run-init"
cp "$KLIBC_SO" "$P/lib/"
for app in mount mkdir cp ln chmod; do ln -sf busybox "$P/bin/$app"; done
cat > "$P/init" <<'PAYLOAD'
#!/bin/sh
echo "PAYLOAD-INIT-RAN"
echo "root-fstype=$(stat -f -c %t /)"
echo "etc-fstype=$(stat -f -c %t /etc)"
echo "payload-file=$(cat /etc/payload-file)"
echo written > /etc/newfile && echo "write=$(cat /etc/newfile)"
echo top > /topfile && echo "top-write=$(cat /topfile)"
echo "staging-mounts=$(grep -c ' /run/initoverlayfs' /proc/self/mountinfo)"
# The real root, as initramfs-tools would mount it at ${rootmnt}.
mount -t tmpfs realroot /root
mkdir -p /root/bin /root/sbin /root/proc /root/sys /root/run /root/dev
cp /bin/busybox /root/bin/busybox
for app in sh cat ls grep sleep tr; do ln -s busybox /root/bin/$app; done
cat > /root/sbin/init <<'REAL'
#!/bin/sh
echo "REAL-INIT-RAN pid=$$"
echo "real-root-fstype=$(stat -f -c %t /)"
i=0
while grep -qs '^iofs-release$' /proc/[0-9]*/comm && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "ext4-superblocks=[$(ls /proc/fs/ext4 | tr '\n' ' ')]"
echo "REAL-DONE"
REAL
chmod 755 /root/sbin/init
# run-init opens its console in the new root; this one is our stdout.
ln -s /proc/self/fd/1 /root/dev/out
mount -o move /proc /root/proc
mount -o move /sys /root/sys
mount -o move /run /root/run
exec run-init -c /dev/out /root /sbin/init
PAYLOAD
chmod 755 "$P/init"
mkfs.erofs -zlz4hc "$SCRATCH/payload.erofs" "$P" >/dev/null
make_bootfs "$SCRATCH/payload.erofs" initoverlayfs-test.img
make_mini "bootfs LABEL=$BOOT_LABEL
fs initoverlayfs-test.img
root_layout tmpfs
timeout 10
onfailure poweroff"

run_pid1

expect_out PAYLOAD-INIT-RAN
# statfs f_type: TMPFS_MAGIC, OVERLAYFS_SUPER_MAGIC
expect_out "root-fstype=1021994"
expect_out "etc-fstype=794c7630"
expect_out "payload-file=payload-file-content"
expect_out "write=written"
expect_out "top-write=top"
expect_out "staging-mounts=0"
expect_out "REAL-INIT-RAN pid=1"
expect_out_absent "run-init:"
expect_out REAL-DONE
boot_dev=$(basename "$BOOT_DEV")
sbs=$(grep '^ext4-superblocks=' <<<"$OUT")
! grep -qw -- "$boot_dev" <<<"$sbs" || die "the boot filesystem ($boot_dev) is still mounted: $sbs"

expect_log "under a tmpfs root with "
expect_log "switch: root is the tmpfs in"
expect_log "released 3 of 3 overlays after PID 1 left the initrd"
echo "PASS: $TEST_NAME"
