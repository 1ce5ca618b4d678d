#!/usr/bin/env bash
# Issue 4, "done when": the .deb installed in the debootstrapped Debian 12,
# then a kernel package installed there, leaves a pair in /boot that boots
# to multi-user with /boot read-write and nothing of the early boot left,
# without any manual step; removing the kernel package removes its image.
# With initramfs-tools the pair comes from its post-update.d hook; with
# dracut, from /etc/kernel/postinst.d/zz-initoverlayfs after Debian's
# dracut hook.
# Usage: deb_kernel.sh [initramfs-tools|initramfs-tools-dep|dracut]
# [PATH/TO/initoverlayfs_*.deb] (default package: the newest in
# $IOFS_DEB_DIR, where package.deb_hooks leaves the package it built).
# $SYSTEM_SUITE=trixie (lib/system.sh) does the same in Debian 13, with the
# package built there (lib/suite_deb.sh) and the variants Debian 13 has
# cached (initramfs-tools-dep, dracut).
# $SYSTEM_LAYOUT (issue 11) is how /boot is laid out, as the hooks find it:
#   own      its own ext4 filesystem, named UUID=... in fstab (default);
#   by-uuid  the same, named /dev/disk/by-uuid/... in fstab;
#   root     a directory of the root filesystem (Debian's default install):
#            the chroot is the root filesystem itself, loop-mounted, and the
#            builder must choose placement initrd (the root cannot be read
#            before its own fsck and mount).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../boot/lib/common.sh"
. "$here/../boot/lib/kernels.sh"
. "$here/../boot/lib/qemu.sh"
. "$here/../boot/lib/pair.sh"
. "$here/lib/system.sh"
. "$here/lib/check.sh"
boot_test_init
[[ $(id -u) == 0 ]] || boot_skip "needs root"
variant=${1:-initramfs-tools}
if [[ ! $variant =~ ^(initramfs-tools|initramfs-tools-dep|dracut)$ || " ${SYSTEM_VARIANTS[*]} " != *" $variant "* ]]; then
	boot_fail "unknown variant '$variant' (${SYSTEM_SUITE}: ${SYSTEM_VARIANTS[*]})"
fi
boot_log "$SYSTEM_RELEASE ($SYSTEM_SUITE), variant $variant"
deb=""  # set by system_deb_test_setup
system_deb_test_setup "${2:-}"
kver=$SYSTEM_KVER

# A private copy of the cached system, laid out as system_disks expects.
vdir=$SCRATCH/variant
mkdir -p "$vdir"
cp -- "$(system_variant_dir "$variant")/info" "$vdir/"
system_root_copy "$variant" "$vdir/root" || boot_fail "system_root_copy failed"
root=$vdir/root
cp -- "$deb" "$root/tmp/initoverlayfs.deb"
# apt, for its dependencies (erofs-utils, libarchive13; the package files
# go to the shared cache of the system's packages).
_sys_apt "$root" install --no-install-recommends /tmp/initoverlayfs.deb >"$SCRATCH/apt.log" 2>&1 ||
	{ cat "$SCRATCH/apt.log" >&2; boot_fail "apt-get install initoverlayfs.deb failed"; }

layout=${SYSTEM_LAYOUT:-own}
[[ $layout =~ ^(own|by-uuid|root)$ ]] || boot_fail "unknown SYSTEM_LAYOUT '$layout'"
boot_log "layout: $layout"
if [[ $layout == root ]]; then
	# One filesystem, as the installer makes it: fstab has the root only.
	printf 'LABEL=%s / ext4 errors=remount-ro 0 1\n' "$SYSTEM_ROOT_LABEL" >"$root/etc/fstab"
	find "$root/var/lib/apt/lists" -maxdepth 1 -type f -delete
	system_report_install "$root" || boot_fail "installing the report service failed"
	mib=$(du -sm -- "$root" | cut -f1)
	disk_ext4_make "$SCRATCH/root.img" $((mib * 5 / 4 + 768)) "$SYSTEM_ROOT_LABEL" \
		"$(cat /proc/sys/kernel/random/uuid)" "$root" || boot_fail "making the root disk failed"
	rm -rf -- "$root"
	mkdir -p "$root"
	mount -o loop "$SCRATCH/root.img" "$root"
	trap '! mountpoint -q "$root" || umount -l "$root" || true; _boot_on_exit' EXIT
else
	# /boot as on the installed system: its own ext4 filesystem (fstab's
	# UUID, or its udev link), mounted, so the builder finds the boot
	# filesystem as it would there.
	if [[ $layout == by-uuid ]]; then
		sed -i "s|^UUID=$SYSTEM_BOOT_UUID |/dev/disk/by-uuid/$SYSTEM_BOOT_UUID |" "$root/etc/fstab"
		grep -q "^/dev/disk/by-uuid/$SYSTEM_BOOT_UUID /boot " "$root/etc/fstab" ||
			boot_fail "fstab has no /boot line to rewrite: $(cat "$root/etc/fstab")"
	fi
	truncate -s 512M "$SCRATCH/boot.ext4"
	mkfs.ext4 -q -F -U "$SYSTEM_BOOT_UUID" -d "$root/boot" "$SCRATCH/boot.ext4"
	mount -o loop "$SCRATCH/boot.ext4" "$root/boot"
	trap '! mountpoint -q "$root/boot" || umount -l "$root/boot" || true; _boot_on_exit' EXIT
fi

# The builder running the generator itself (no --initramfs). Debian 13's
# dracut (dracut-ng 106) runs /etc/initramfs/post-update.d/ after writing
# any initramfs: unless the builder turns that off, the package's own hook
# converts the builder's scratch initramfs (the builder then refuses it as
# a mini initramfs) and any other hook (systemd-boot's) installs it.
if [[ $variant == dracut ]] && grep -q 'post-update\.d' "$root/usr/bin/dracut"; then
	mkdir -p "$root/boot/iofs-generated"
	system_chroot "$root" initoverlayfs-install -v --kver "$kver" --output-dir /boot/iofs-generated \
		>"$SCRATCH/generated.log" 2>&1 ||
		{ tail -n 30 "$SCRATCH/generated.log" >&2; boot_fail "initoverlayfs-install running dracut itself failed"; }
	! grep -a 'initoverlayfs: update-initramfs wrote' "$SCRATCH/generated.log" >&2 ||
		boot_fail "dracut ran the post-update.d hooks on the builder's own initramfs"
	# --inspect: exit 0 for a mini initramfs whose image (beside it, or
	# inside it with placement initrd) is there and matches.
	system_chroot "$root" initoverlayfs-install --inspect "/boot/iofs-generated/initramfs-$kver.img" \
		>"$SCRATCH/generated.inspect" 2>&1 ||
		{ cat "$SCRATCH/generated.inspect" >&2; boot_fail "initoverlayfs-install running dracut left no good pair: $(ls "$root/boot/iofs-generated")"; }
	boot_log "the builder ran dracut itself, no post-update.d hook on its initramfs"
	rm -rf -- "$root/boot/iofs-generated"
fi

# The kernel package, installed again as an upgrade would: its postinst
# runs initramfs-tools, whose post-update.d hook converts the initramfs, or
# Debian's dracut hook and then zz-initoverlayfs.
kdeb=$(ls "$(dirname "$SYSTEM_DIR")"/debs/linux-image-"$kver"_*.deb 2>/dev/null | head -n 1)
[[ -f $kdeb ]] || boot_fail "no cached linux-image-$kver package"
cp -- "$kdeb" "$root/tmp/kernel.deb"
t=$SECONDS
system_chroot "$root" dpkg -i /tmp/kernel.deb >"$SCRATCH/kernel.log" 2>&1 ||
	{ cat "$SCRATCH/kernel.log" >&2; boot_fail "installing the kernel package failed"; }
boot_log "kernel package installed in $((SECONDS - t)) s; its hooks said:"
grep -a 'initoverlayfs' "$SCRATCH/kernel.log" >&2 || true
mini=$root/boot/initrd.img-$kver
# No image file with placement initrd (layout root): it is inside the mini
# initramfs.
image=''
[[ $layout == root ]] || image=$(pair_image "$root/boot" "$kver")
# The mini initramfs's first part is zstd; with placement initrd the image
# follows it uncompressed, where zstd stops.
from_mini() { { zstd -dcq "$mini" 2>/dev/null || true; } | cpio -i --to-stdout --quiet "$1" 2>/dev/null || true; }
marker=$(from_mini etc/initoverlayfs-install.made)
[[ $marker == "initoverlayfs-install "* ]] || boot_fail "$mini is not a mini initramfs"
conf=$(from_mini etc/initoverlayfs.conf)
if [[ $layout == root ]]; then
	grep -qx "placement initrd" <<<"$conf" || boot_fail "/boot on the root filesystem, but not placement initrd: $conf"
	grep -q "placement       initrd, not bootfs: /boot is on the root filesystem" "$SCRATCH/kernel.log" ||
		boot_fail "the hook's summary does not say why the placement is initrd"
	! compgen -G "$root/boot/initoverlayfs-$kver*.img" >/dev/null ||
		boot_fail "an image file beside the initrd placement: $(ls "$root/boot"/initoverlayfs-*)"
	boot_log "mini initramfs with the image inside: $(du -h --apparent-size "$mini" | cut -f1)"
else
	[[ -f $image ]] || boot_fail "no $image after installing the kernel"
	[[ $(blkid -p -o value -s TYPE "$image") == erofs ]] || boot_fail "$image is not EROFS"
	grep -qx "bootfs UUID=$SYSTEM_BOOT_UUID" <<<"$conf" || boot_fail "bootfs is not fstab's /boot: $conf"
	boot_log "pair in /boot: $(du -h --apparent-size "$mini" | cut -f1) mini initramfs, $(du -h --apparent-size "$image" | cut -f1) image"
fi

# Boot exactly what the hooks left in /boot.
out=$SCRATCH/boot
if [[ $layout == root ]]; then
	# The root disk is the filesystem the hooks ran on; the bootloader
	# would read the kernel and the mini initramfs from its /boot.
	mkdir -p "$out" "$SCRATCH/loader"
	cp -- "$mini" "$root/boot/vmlinuz-$kver" "$SCRATCH/loader/"
	umount "$root"
	trap _boot_on_exit EXIT
	mv -- "$SCRATCH/root.img" "$out/root.img"
	mkdir -p "$vdir/root/boot"
	cp -- "$SCRATCH/loader/vmlinuz-$kver" "$vdir/root/boot/"
	mini=$SCRATCH/loader/$(basename "$mini")
else
	# system_disks makes the boot disk from the root's /boot directory.
	cp -a "$root/boot/." "$SCRATCH/boot-content"
	umount "$root/boot"
	trap _boot_on_exit EXIT
	rm -rf -- "${root:?}/boot"
	mv -- "$SCRATCH/boot-content" "$root/boot"
	system_disks "$vdir" "$out" "" || boot_fail "making the disks failed"
fi
rc=0
system_boot "$vdir" "$mini" "$out" "$out.log" || rc=$?
boot_log "boot ended after $QEMU_BOOT_WALL s wall (qemu status $rc)"
system_check "$out.log" initoverlayfs "$layout"
if ((${#SYSTEM_PROBLEMS[@]})); then
	system_console_excerpt "$out.log" >&2
	printf '%s: FAIL: %s\n' "$BOOT_TEST_NAME" "${SYSTEM_PROBLEMS[@]}" >&2
	exit 1
fi
grep -a 'initoverlayfs: ready in' "$out.log" | tr -d '\r' >&2

# Removing the kernel package removes its pair: its image, and only that,
# and the mini initramfs (with placement initrd the image is inside it). In
# layout root the purge runs on the root filesystem the guest just booted.
if [[ $layout == root ]]; then
	mount -o loop "$out/root.img" "$root"
	trap '! mountpoint -q "$root" || umount -l "$root" || true; _boot_on_exit' EXIT
fi
touch "$root/boot/initoverlayfs-other.img"
pkg=$(dpkg-deb -f "$kdeb" Package)
system_chroot "$root" dpkg --purge "$pkg" >"$SCRATCH/remove.log" 2>&1 ||
	{ cat "$SCRATCH/remove.log" >&2; boot_fail "removing $pkg failed"; }
[[ -z $image || ! -e $image ]] || boot_fail "$image is still there after removing $pkg"
left=$(cd "$root/boot" && { ls -d -- "initrd.img-$kver" "initoverlayfs-$kver"* 2>/dev/null || true; })
[[ -z $left ]] || boot_fail "removing $pkg left in /boot: $left"
[[ -e $root/boot/initoverlayfs-other.img ]] || boot_fail "removing $pkg removed another image"
boot_log "purging $pkg removed its pair; its hooks said: $({ grep -a initoverlayfs "$SCRATCH/remove.log" || true; } | paste -sd";")"
if [[ $layout == root ]]; then
	umount "$root"
	trap _boot_on_exit EXIT
fi
echo "PASS: $BOOT_TEST_NAME ($layout)"
