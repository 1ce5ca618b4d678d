#!/usr/bin/env bash
# The helper later tests use to try packages on the cached system: a private
# copy of a variant's root, a .deb installed into it with system_chroot, the
# package's program run there; nothing mounted is left behind.
# Usage: chroot_helper.sh
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../boot/lib/common.sh"
. "$here/../boot/lib/kernels.sh"
. "$here/../boot/lib/qemu.sh"
. "$here/lib/system.sh"
boot_test_init
[[ $(id -u) == 0 ]] || boot_skip "needs root"
system_prepare || boot_fail "could not prepare the cached Debian system"

pkg=$SCRATCH/pkg
mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin"
cat >"$pkg/DEBIAN/control" <<'CONTROL'
Package: iofs-chroot-probe
Version: 1.0
Architecture: all
Maintainer: initoverlayfs tests <root@localhost>
Depends: kmod
Description: probe package of the chroot helper test
CONTROL
# shellcheck disable=SC2016 # the probe's own expansions
printf '#!/bin/sh\necho "probe: $(ls /lib/modules) $(stat -f -c %%T /proc)"\n' >"$pkg/usr/bin/iofs-chroot-probe"
chmod 755 "$pkg/usr/bin/iofs-chroot-probe"
dpkg-deb --root-owner-group -b "$pkg" "$SCRATCH/probe.deb" >/dev/null

root=$SCRATCH/root
system_root_copy dracut "$root" || boot_fail "system_root_copy failed"
cp "$SCRATCH/probe.deb" "$root/tmp/"
system_chroot "$root" dpkg -i /tmp/probe.deb >/dev/null || boot_fail "dpkg -i in the chroot failed"
out=$(system_chroot "$root" iofs-chroot-probe) || boot_fail "the installed program did not run"
[[ $out == "probe: $SYSTEM_KVER proc" ]] || boot_fail "unexpected output in the chroot: '$out'"
# A failing command fails the helper, with its status, and still unmounts.
rc=0
system_chroot "$root" sh -c 'exit 7' || rc=$?
((rc == 7)) || boot_fail "system_chroot returned $rc for a command that exited 7"
grep -qF " $root/" /proc/self/mountinfo && boot_fail "mounts left under $root"
# The cache is untouched: the package went into the copy only.
[[ ! -e $(system_variant_dir dracut)/root/usr/bin/iofs-chroot-probe ]] || boot_fail "the cached root was changed"
echo "PASS: $BOOT_TEST_NAME"
