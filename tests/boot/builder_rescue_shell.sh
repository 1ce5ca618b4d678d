#!/usr/bin/env bash
# --rescue-shell (issue 11, item 3), without a VM or the test kernels: the
# mini initramfs gets /bin/busybox, the very file of Debian's busybox-static,
# executable and statically linked, with /bin/sh linked to it, and it runs
# in the mini initramfs's tree alone (chroot: no libraries there); without
# the option there is no shell at all; a dynamically linked busybox and a
# missing one are refused with a clear error and leave the previous pair.
. "$(dirname "$0")/lib/common.sh"
boot_test_init
[[ $(id -u) == 0 ]] || boot_skip "needs root"
BUILDER=$(realpath "${1:?usage: $0 PATH/TO/initoverlayfs-install}")
for tool in zstd cpio file ldd; do
	command -v "$tool" >/dev/null || boot_skip "no $tool"
done
[[ -x /bin/busybox ]] || boot_fail "no /bin/busybox (scripts/install-deps.sh installs busybox-static)"
file -L /bin/busybox | grep -q 'statically linked' || boot_fail "/bin/busybox is not static"

# A kernel with no modules is enough: nothing here boots.
kver=9.9.9-rescue
moddir=$SCRATCH/modules
mkdir -p "$moddir" "$SCRATCH/root/etc"
touch "$moddir/modules.dep"
printf '#!/bin/sh\n' >"$SCRATCH/root/init"
chmod 755 "$SCRATCH/root/init"
common=(--no-config --kver "$kver" --moddir "$moddir" --rootdir "$SCRATCH/root"
	--bootfs LABEL=rescue --bootfstype ext4)
mini=initramfs-$kver.img

unpack() { # MINI DIR
	mkdir -p "$2"
	(cd "$2" && zstd -dcq "$1" | cpio -idm --quiet)
}

mkdir -p "$SCRATCH/plain" "$SCRATCH/rescue"
SOURCE_DATE_EPOCH=1700000000 "$BUILDER" "${common[@]}" --output-dir "$SCRATCH/plain" >/dev/null
SOURCE_DATE_EPOCH=1700000000 "$BUILDER" "${common[@]}" --output-dir "$SCRATCH/rescue" --rescue-shell >/dev/null
unpack "$SCRATCH/plain/$mini" "$SCRATCH/plain.tree"
unpack "$SCRATCH/rescue/$mini" "$SCRATCH/rescue.tree"

[[ ! -e $SCRATCH/plain.tree/bin ]] || boot_fail "a shell without --rescue-shell: $(ls "$SCRATCH/plain.tree/bin")"
bb=$SCRATCH/rescue.tree/bin/busybox
[[ -f $bb && -x $bb ]] || boot_fail "no executable /bin/busybox in the mini initramfs"
cmp "$bb" /bin/busybox || boot_fail "/bin/busybox in the mini initramfs is not /bin/busybox"
file "$bb" | grep -q 'statically linked' || boot_fail "not static: $(file "$bb")"
if ldd "$bb" >/dev/null 2>&1; then boot_fail "ldd finds libraries for the rescue busybox"; fi
[[ $(readlink "$SCRATCH/rescue.tree/bin/sh") == busybox ]] || boot_fail "/bin/sh is not a link to busybox"
for applet in ls cat mount dmesg findfs reboot; do
	[[ $(readlink "$SCRATCH/rescue.tree/bin/$applet") == busybox ]] || boot_fail "no /bin/$applet link"
done
# It runs with nothing but the mini initramfs's own files around it.
out=$(chroot "$SCRATCH/rescue.tree" /bin/sh -c 'echo shell-ran; ls /bin/busybox; cat /etc/initoverlayfs.conf' 2>&1) ||
	boot_fail "the rescue shell does not run in the mini initramfs: $out"
grep -qx shell-ran <<<"$out" || boot_fail "unexpected output: $out"
grep -q '^bootfs LABEL=rescue' <<<"$out" || boot_fail "unexpected output: $out"
boot_log "size: $(stat -c %s "$SCRATCH/plain/$mini") bytes without, $(stat -c %s "$SCRATCH/rescue/$mini") with --rescue-shell (zstd, no modules)"

# Refused: a dynamically linked program, a missing file. The pair in the
# output directory stays as it was.
dynamic=$(command -v bash)
ldd "$dynamic" >/dev/null 2>&1 || boot_fail "$dynamic is expected to be dynamically linked"
before=$(sha256sum "$SCRATCH/rescue"/*)
if out=$("$BUILDER" -f "${common[@]}" --output-dir "$SCRATCH/rescue" --rescue-busybox "$dynamic" 2>&1); then
	boot_fail "accepted a dynamically linked busybox"
fi
grep -q "error: --rescue-shell: $dynamic is dynamically linked (its loader is /lib.*) and the mini initramfs has no shared libraries; give a static busybox (Debian: busybox-static) with --rescue-busybox PATH" <<<"$out" ||
	boot_fail "unexpected message: $out"
if out=$("$BUILDER" -f "${common[@]}" --output-dir "$SCRATCH/rescue" --rescue-busybox "$SCRATCH/no-busybox" 2>&1); then
	boot_fail "accepted a missing busybox"
fi
grep -q "error: --rescue-shell: open $SCRATCH/no-busybox: No such file or directory (errno=2) (Debian: apt install busybox-static; or --rescue-busybox PATH)" <<<"$out" ||
	boot_fail "unexpected message: $out"
[[ $before == "$(sha256sum "$SCRATCH/rescue"/*)" ]] || boot_fail "a refused build changed the pair"
left=$(find "$SCRATCH/rescue" -mindepth 1 -name '.*')
[[ -z $left ]] || boot_fail "temporary files left: $left"
boot_log "PASS"
