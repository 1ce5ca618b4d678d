#!/usr/bin/env bash
# The Debian package and its hooks in a debootstrapped Debian 12 chroot
# with initramfs-tools (lib/deb_chroot.sh, cached):
#   - dpkg-buildpackage -us -uc -b builds initoverlayfs_*.deb (or IOFS_DEB
#     names one), lintian finds no error in it;
#   - installing a kernel package leaves /boot/initrd.img-KVER as a mini
#     initramfs and /boot/initoverlayfs-KVER-ID.img as an EROFS image of
#     initramfs-tools' initramfs (post-update.d hook), and the kernel
#     postinst.d hook then finds it converted and does nothing;
#   - INITOVERLAYFS=no update-initramfs leaves a classic initramfs, and
#     update-initramfs -u -k KVER converts again;
#   - the hooks run twice change nothing;
#   - the kernel-install plugin converts a staged initrd (layout bls) and
#     removes its image on remove;
#   - a second kernel gets its own pair; removing the first kernel's
#     package removes exactly its image and its UKI at install.conf's uki
#     path, and the other pair and UKI stay;
#   - dpkg --remove initoverlayfs makes the kernel's initramfs classic again
#     (its prerm, with update-initramfs) and removes the programs; the
#     image stays, because a unified kernel image on /boot still embeds a
#     mini initramfs that names it (the removal of images is shown by step 6
#     here, through the postrm.d hook, and by the prerm in
#     system.deb_firmware_*'s purge); the hooks left as conffiles do
#     nothing then: update-initramfs -u and a kernel's postinst.d leave the
#     initramfs classic; dpkg --purge then removes the conffiles.
# Needs root, debootstrap and the Debian mirror the first time.
set -Eeuo pipefail
shopt -s inherit_errexit
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib/deb_chroot.sh"
name=deb_hooks
log() { printf '%s: %s\n' "$name" "$*" >&2; }
fail() { printf '%s: FAIL: %s\n' "$name" "$*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { log "SKIP: needs root"; exit 77; }
started=$SECONDS
trap 'printf "%s: error: command failed (exit %d) at line %s: %s\n" "$name" $? "$LINENO" "$BASH_COMMAND" >&2' ERR

SCRATCH=$(mktemp -d "${TMPDIR:-/var/tmp}/iofs-deb.XXXXXX")
cleanup() {
	trap - ERR
	deb_chroot_leave
	if [[ ${KEEP_TMP:-0} == 1 ]]; then log "kept $SCRATCH"; else rm -rf -- "$SCRATCH"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

need=()
for tool in debootstrap:debootstrap dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian \
	cmake:cmake dump.erofs:erofs-utils blkid:util-linux zstd:zstd cpio:cpio; do
	command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
if ((${#need[@]})); then
	log "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# 1. The package.
if [[ -n ${IOFS_DEB:-} ]]; then
	deb=$(realpath "$IOFS_DEB")
else
	t=$SECONDS
	src=$SCRATCH/src/initoverlayfs
	mkdir -p "$src"
	git -C "$repo" ls-files -co --exclude-standard -z | grep -zv '^bench/results/' |
		(cd "$repo" && tar --null -cf - -T -) | tar -xf - -C "$src"
	(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b \
		>"$SCRATCH/build.log" 2>&1) || { tail -40 "$SCRATCH/build.log" >&2; fail "dpkg-buildpackage failed"; }
	deb=$(echo "$SCRATCH"/src/initoverlayfs_*_amd64.deb)
	log "built $(basename "$deb") in $((SECONDS - t)) s"
fi
[[ -f $deb ]] || fail "no .deb"
# For system.deb_kernel, which boots what this package makes of a kernel.
if [[ -n ${IOFS_DEB_DIR:-} && $deb != "$IOFS_DEB_DIR"/* ]]; then
	mkdir -p "$IOFS_DEB_DIR"
	rm -f -- "$IOFS_DEB_DIR"/initoverlayfs_*.deb
	cp -- "$deb" "$IOFS_DEB_DIR/"
fi
dpkg-deb -c "$deb" >"$SCRATCH/contents"
for f in ./usr/bin/initoverlayfs-install ./usr/sbin/initoverlayfs ./etc/initoverlayfs/install.conf \
	./etc/initramfs/post-update.d/initoverlayfs ./etc/kernel/postinst.d/zz-initoverlayfs \
	./etc/kernel/postrm.d/initoverlayfs ./usr/lib/kernel/install.d/50-initoverlayfs.install \
	./usr/lib/kernel/install.d/95-initoverlayfs-prune.install \
	./usr/share/man/man8/initoverlayfs.8.gz ./usr/share/man/man8/initoverlayfs-install.8.gz \
	./usr/share/man/man5/initoverlayfs.conf.5.gz ./usr/share/man/man5/initoverlayfs-install.conf.5.gz; do
	grep -q " $f\$" "$SCRATCH/contents" || fail "the package lacks $f"
done
t=$SECONDS
lintian --tag-display-limit 0 "$deb" >"$SCRATCH/lintian.log" 2>&1 || true
cat "$SCRATCH/lintian.log" >&2
! grep -q '^E: ' "$SCRATCH/lintian.log" || fail "lintian reports errors"
log "lintian: $(grep -c '^[EW]: ' "$SCRATCH/lintian.log" || true) errors and warnings, $((SECONDS - t)) s"

# 2. The chroot, with /boot on an ext4 filesystem of its own (a loop
# device, freed with the mount) in fstab, as on an installed system: the
# builder takes the boot filesystem from there.
t=$SECONDS
deb_chroot_base
deb_chroot_enter "$SCRATCH/chroot"
root=$DEB_CHROOT
boot_uuid=$(cat /proc/sys/kernel/random/uuid)
truncate -s 768M "$SCRATCH/boot.ext4"
mkfs.ext4 -q -F -U "$boot_uuid" "$SCRATCH/boot.ext4"
mount -o loop "$SCRATCH/boot.ext4" "$root/boot"
DEB_CHROOT_MOUNTS+=("$root/boot")
echo "UUID=$boot_uuid /boot ext4 defaults 0 2" >"$root/etc/fstab"
k61_deb=$(echo "$root"/var/cache/iofs-debs/linux-image-6.1.*.deb)
k612_deb=$(echo "$root"/var/cache/iofs-debs/linux-image-6.12.*.deb)
k61_pkg=$(dpkg-deb -f "$k61_deb" Package)
k612_pkg=$(dpkg-deb -f "$k612_deb" Package)
k61=${k61_pkg#linux-image-}
k61=${k61%-unsigned}
k612=${k612_pkg#linux-image-}
k612=${k612%-unsigned}
log "chroot ready in $((SECONDS - t)) s; kernels $k61 and $k612"

cp "$deb" "$root/tmp/initoverlayfs.deb"
deb_chroot_run dpkg -i /tmp/initoverlayfs.deb >"$SCRATCH/dpkg-i.log" 2>&1 || {
	cat "$SCRATCH/dpkg-i.log" >&2
	fail "dpkg -i initoverlayfs failed"
}
conffiles=$(deb_chroot_run dpkg-query -W -f='${Conffiles}' initoverlayfs)
for f in /etc/initoverlayfs/install.conf /etc/initramfs/post-update.d/initoverlayfs \
	/etc/kernel/postinst.d/zz-initoverlayfs /etc/kernel/postrm.d/initoverlayfs; do
	grep -q " $f " <<<"$conffiles" || fail "$f is not a conffile"
done
# A default for the mini initramfs, to see the hooks read the host's file.
echo "set timeout=7" >>"$root/etc/initoverlayfs/install.conf"

is_mini() { # FILE: the builder's marker is in it
	local marker
	marker=$(zstd -dcq "$1" 2>/dev/null | cpio -i --to-stdout --quiet etc/initoverlayfs-install.made 2>/dev/null) || true
	[[ $marker == "initoverlayfs-install "* ]]
}
mini_conf() { zstd -dcq "$1" | cpio -i --to-stdout --quiet etc/initoverlayfs.conf; }
image_of() { # KVER: its one image, initoverlayfs-KVER-ID.img
	local found=("$root/boot/initoverlayfs-$1-"[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].img)
	[[ ${#found[@]} == 1 && -f ${found[0]} ]] || fail "not exactly one image of $1: ${found[*]}"
	printf '%s\n' "${found[0]}"
}
check_pair() { # KVER
	local k=$1 mini=$root/boot/initrd.img-$1 image
	image=$(image_of "$1")
	is_mini "$mini" || fail "$mini is not a mini initramfs"
	[[ $(blkid -p -o value -s TYPE "$image") == erofs ]] || fail "$image is not EROFS"
	# The image is initramfs-tools' initramfs: its /init and its config.
	dump.erofs --path=/init "$image" >/dev/null 2>&1 || fail "$image has no /init"
	dump.erofs --path=/conf/initramfs.conf "$image" >/dev/null 2>&1 || fail "$image is not initramfs-tools'"
	mini_conf "$mini" >"$SCRATCH/conf-$k"
	grep -qx "bootfs UUID=$boot_uuid" "$SCRATCH/conf-$k" || fail "bootfs not from fstab: $(cat "$SCRATCH/conf-$k")"
	grep -qx "fs $(basename "$image")" "$SCRATCH/conf-$k" || fail "wrong image path in the mini initramfs"
	grep -qx "timeout 7000ms" "$SCRATCH/conf-$k" || fail "install.conf's set timeout=7 not applied"
	# initramfs-tools' /init leaves with run-init, which needs a tmpfs root.
	grep -qx "root_layout tmpfs" "$SCRATCH/conf-$k" || fail "no root_layout tmpfs for initramfs-tools"
}

# 3. A kernel: initramfs-tools makes the initramfs, the hooks convert it.
t=$SECONDS
deb_chroot_run dpkg -i "/var/cache/iofs-debs/$(basename "$k61_deb")" >"$SCRATCH/k61.log" 2>&1 || {
	cat "$SCRATCH/k61.log" >&2
	fail "installing $k61_pkg failed"
}
cat "$SCRATCH/k61.log" >&2
check_pair "$k61"
after_hook=$(grep -A1 "initoverlayfs: update-initramfs wrote /boot/initrd.img-$k61 (kernel $k61)" "$SCRATCH/k61.log") || true
grep -q "^initoverlayfs-install: kernel $k61" <<<"$after_hook" || fail "the post-update.d hook did not convert and log"
grep -q "/boot/initrd.img-$k61 is already a mini initramfs made by initoverlayfs-install; nothing to do" \
	"$SCRATCH/k61.log" || fail "zz-initoverlayfs did not find the initramfs converted"
log "kernel $k61 installed and converted in $((SECONDS - t)) s"

# 4. The hooks again: nothing changes.
pair61() { sha256sum "$root/boot/initrd.img-$k61" "$(image_of "$k61")"; }
before=$(pair61)
deb_chroot_run /etc/kernel/postinst.d/zz-initoverlayfs "$k61" "/boot/vmlinuz-$k61" 2>&1 | tee "$SCRATCH/again.log" >&2
deb_chroot_run /etc/initramfs/post-update.d/initoverlayfs "$k61" "/boot/initrd.img-$k61" 2>&1 |
	tee -a "$SCRATCH/again.log" >&2
[[ $(grep -c "nothing to do" "$SCRATCH/again.log") == 2 ]] || fail "hooks run twice did not say nothing to do"
[[ $before == "$(pair61)" ]] || fail "running the hooks again changed the pair"

# 5. Opt-out, then update-initramfs -u converts again.
t=$SECONDS
deb_chroot_run env INITOVERLAYFS=no update-initramfs -u -k "$k61" >"$SCRATCH/optout.log" 2>&1
grep -q "hooks are switched off (INITOVERLAYFS=no)" "$SCRATCH/optout.log" || fail "opt-out not logged"
! is_mini "$root/boot/initrd.img-$k61" || fail "INITOVERLAYFS=no still converted"

# The kernel-install plugin on that classic initramfs, as 50-dracut would
# have staged it (layout bls).
# The entry directory is on the boot filesystem, as on an ESP or XBOOTLDR.
mkdir -p "$root/tmp/staging" "$root/boot/entry"
cp "$root/boot/initrd.img-$k61" "$root/tmp/staging/initrd"
deb_chroot_run env KERNEL_INSTALL_LAYOUT=bls KERNEL_INSTALL_STAGING_AREA=/tmp/staging \
	/usr/lib/kernel/install.d/50-initoverlayfs.install add "$k61" /boot/entry "/boot/vmlinuz-$k61" \
	>"$SCRATCH/ki.log" 2>&1 || { cat "$SCRATCH/ki.log" >&2; fail "kernel-install plugin add failed"; }
is_mini "$root/tmp/staging/initrd" || fail "kernel-install: the staged initrd was not replaced by a mini initramfs"
entry_image=("$root/boot/entry/initoverlayfs-"[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].img)
[[ ${#entry_image[@]} == 1 && $(blkid -p -o value -s TYPE "${entry_image[0]}") == erofs ]] ||
	fail "kernel-install: no EROFS image in the entry directory (${entry_image[*]})"
[[ ! -e $root/boot/entry/initrd ]] || fail "kernel-install: left the mini initramfs in the entry directory"
grep -qx "fs entry/$(basename "${entry_image[0]}")" <<<"$(mini_conf "$root/tmp/staging/initrd")" ||
	fail "kernel-install: the mini initramfs does not point at the entry directory's image"
deb_chroot_run env KERNEL_INSTALL_LAYOUT=bls /usr/lib/kernel/install.d/50-initoverlayfs.install \
	remove "$k61" /boot/entry
[[ -z $(find "$root/boot/entry" -name 'initoverlayfs*') ]] || fail "kernel-install remove left the image"
rmdir "$root/boot/entry"
# Other layouts: nothing to do.
cp "$root/boot/initrd.img-$k61" "$root/tmp/staging/initrd"
deb_chroot_run env KERNEL_INSTALL_LAYOUT=other KERNEL_INSTALL_STAGING_AREA=/tmp/staging \
	/usr/lib/kernel/install.d/50-initoverlayfs.install add "$k61" /boot/entry "/boot/vmlinuz-$k61"
! is_mini "$root/tmp/staging/initrd" || fail "kernel-install: converted with layout other"

deb_chroot_run update-initramfs -u -k "$k61" >"$SCRATCH/update.log" 2>&1 || {
	cat "$SCRATCH/update.log" >&2
	fail "update-initramfs -u failed"
}
check_pair "$k61"
log "opt-out, kernel-install plugin and update-initramfs -u in $((SECONDS - t)) s"

# make_uki KVER PATH: a unified kernel image at PATH in the chroot holding
# KVER's mini initramfs and kernel release, put together with objcopy
# around systemd-stub as the builder's --uki does (no kernel: nothing
# boots it here).
make_uki() {
	local stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
	[[ -r $stub ]] || fail "$stub missing (systemd-boot-efi: bash scripts/install-deps.sh)"
	mkdir -p "$root$(dirname "$2")"
	printf '%s' "$1" >"$SCRATCH/uname"
	objcopy --add-section .uname="$SCRATCH/uname" --change-section-vma .uname=0x20000000 \
		--add-section .initrd="$root/boot/initrd.img-$1" --change-section-vma .initrd=0x30000000 \
		"$stub" "$root$2" || fail "objcopy could not make the UKI $2"
}

# 6. A second kernel gets its own pair; removing the first removes exactly
# its image, and the UKI made for it at install.conf's uki path.
t=$SECONDS
deb_chroot_run dpkg -i "/var/cache/iofs-debs/$(basename "$k612_deb")" >"$SCRATCH/k612.log" 2>&1 || {
	cat "$SCRATCH/k612.log" >&2
	fail "installing $k612_pkg failed"
}
check_pair "$k612"
check_pair "$k61"
pair612() { sha256sum "$root/boot/initrd.img-$k612" "$(image_of "$k612")"; }
image61=$(basename "$(image_of "$k61")")
before612=$(pair612)
cp -- "$root/etc/initoverlayfs/install.conf" "$SCRATCH/install.conf"
echo "uki /boot/EFI/Linux/iofs-%k.efi" >>"$root/etc/initoverlayfs/install.conf"
make_uki "$k61" "/boot/EFI/Linux/iofs-$k61.efi"
make_uki "$k612" "/boot/EFI/Linux/iofs-$k612.efi"
(cd "$root/boot" && ls -A | LC_ALL=C sort) >"$SCRATCH/boot.before"
deb_chroot_run dpkg --purge "$k61_pkg" >"$SCRATCH/rm61.log" 2>&1 || {
	cat "$SCRATCH/rm61.log" >&2
	fail "removing $k61_pkg failed"
}
cat "$SCRATCH/rm61.log" >&2
grep -qF "initoverlayfs: removing /boot/$image61" "$SCRATCH/rm61.log" || fail "postrm.d hook did not log"
grep -qF "initoverlayfs: removing /boot/EFI/Linux/iofs-$k61.efi, the unified kernel image of kernel $k61" "$SCRATCH/rm61.log" ||
	fail "postrm.d hook did not remove the removed kernel's UKI"
[[ ! -e $root/boot/EFI/Linux/iofs-$k61.efi ]] || fail "the removed kernel's UKI is still there"
[[ -f $root/boot/EFI/Linux/iofs-$k612.efi ]] || fail "removing $k61_pkg removed the other kernel's UKI"
rm -f -- "$root/boot/EFI/Linux/iofs-$k612.efi"
cp -- "$SCRATCH/install.conf" "$root/etc/initoverlayfs/install.conf"
(cd "$root/boot" && ls -A | LC_ALL=C sort) >"$SCRATCH/boot.after"
gone=$(comm -23 "$SCRATCH/boot.before" "$SCRATCH/boot.after" | tr '\n' ' ')
added=$(comm -13 "$SCRATCH/boot.before" "$SCRATCH/boot.after" | tr '\n' ' ')
[[ -z $added ]] || fail "removing a kernel added to /boot: $added"
[[ $gone == *"$image61 "* ]] || fail "the image of $k61 was not removed (gone: $gone)"
for f in $gone; do
	[[ $f == *"$k61"* ]] || fail "removing $k61_pkg removed $f"
done
[[ $before612 == "$(pair612)" ]] || fail "the other kernel's pair changed"
log "second kernel and removal of the first in $((SECONDS - t)) s"

# 6b. An image build's chroot: fstab names /boot, but it is not mounted
# there. The hook converts nothing, says why in one line and exits 0, so the
# kernel package's configuration goes on; the classic initramfs stays. Once
# /boot is mounted (the booted machine), the next update converts.
t=$SECONDS
# What the kernel package would have put into the directory (mkinitramfs
# reads the kernel's config).
cp -- "$root/boot/config-$k612" "$SCRATCH/config-$k612"
umount "$root/boot"
cp -- "$SCRATCH/config-$k612" "$root/boot/"
deb_chroot_run update-initramfs -c -k "$k612" >"$SCRATCH/unmounted.log" 2>&1 || {
	cat "$SCRATCH/unmounted.log" >&2
	fail "update-initramfs failed with /boot not mounted: the hook must not fail it"
}
cat "$SCRATCH/unmounted.log" >&2
grep -q "error: find the boot filesystem: /etc/fstab mounts UUID=$boot_uuid at /boot, but it is not mounted here" \
	"$SCRATCH/unmounted.log" || fail "the hook did not say /boot is not mounted"
grep -q -- "--hook: not converted; /boot/initrd.img-$k612 stays as it was" "$SCRATCH/unmounted.log" ||
	fail "the hook did not say it kept the initramfs"
[[ -f $root/boot/initrd.img-$k612 ]] || fail "no classic initramfs written with /boot not mounted"
! is_mini "$root/boot/initrd.img-$k612" || fail "converted with /boot not mounted"
find "$root/boot" -mindepth 1 -delete
mount -o loop "$SCRATCH/boot.ext4" "$root/boot"
deb_chroot_run update-initramfs -u -k "$k612" >"$SCRATCH/remounted.log" 2>&1 || {
	cat "$SCRATCH/remounted.log" >&2
	fail "update-initramfs -u failed once /boot was mounted again"
}
check_pair "$k612"
before612=$(pair612)
log "/boot not mounted: skipped, then converted once mounted, in $((SECONDS - t)) s"

# 7. Remove, then purge: the prerm (at remove) makes each converted
# initramfs classic again, then deletes its image; the programs go, the
# conffiles (the hooks among them) stay and must do nothing until the
# purge removes them. A unified kernel
# image on /boot whose embedded mini initramfs names the image (what
# --uki makes; put together here with objcopy around systemd-stub, as the
# builder does) keeps it: under Secure Boot that UKI may be all the
# firmware starts, and it still boots with its image.
uki=/boot/EFI/Linux/debian-$k612.efi
make_uki "$k612" "$uki"
uki_image=$(cd "$root/boot" && ls initoverlayfs-"$k612"-*.img)
[[ $uki_image == initoverlayfs-*.img ]] || fail "no single image of $k612 for the UKI: '$uki_image'"
deb_chroot_run dpkg --remove initoverlayfs >"$SCRATCH/remove.log" 2>&1 || {
	cat "$SCRATCH/remove.log" >&2
	fail "dpkg --remove initoverlayfs failed"
}
cat "$SCRATCH/remove.log" >&2
hooks=(/etc/initramfs/post-update.d/initoverlayfs /etc/kernel/postinst.d/zz-initoverlayfs /etc/kernel/postrm.d/initoverlayfs)
for f in /usr/bin/initoverlayfs-install /usr/sbin/initoverlayfs /usr/lib/kernel/install.d/50-initoverlayfs.install \
	/usr/lib/kernel/install.d/95-initoverlayfs-prune.install; do
	[[ ! -e $root$f ]] || fail "$f is left after remove"
done
for f in /etc/initoverlayfs/install.conf "${hooks[@]}"; do
	[[ -e $root$f ]] || fail "conffile $f is gone after remove (only purge removes it)"
done
grep -qF "initoverlayfs: making /boot/initrd.img-$k612 a classic initramfs again" "$SCRATCH/remove.log" ||
	fail "the prerm did not say it remade /boot/initrd.img-$k612"
# classic WHEN: /boot/initrd.img-$k612 is initramfs-tools' own.
classic() {
	[[ -s $root/boot/initrd.img-$k612 ]] || fail "no /boot/initrd.img-$k612 $1"
	! is_mini "$root/boot/initrd.img-$k612" || fail "/boot/initrd.img-$k612 is still a mini initramfs $1"
	names=$(zstd -dcq "$root/boot/initrd.img-$k612" 2>/dev/null | cpio -t --quiet 2>/dev/null || true)
	grep -qE '^(\./)?scripts/local$' <<<"$names" ||
		fail "/boot/initrd.img-$k612 $1 is not initramfs-tools' initramfs"
}
classic "after remove"
left=$(cd "$root/boot" && ls initoverlayfs-* 2>/dev/null || true)
[[ $left == "$uki_image" ]] || fail "images left in /boot after remove: '$left', not the UKI's $uki_image"
grep -qF "initoverlayfs: keeping /boot/$uki_image: the unified kernel image $uki boots with it" "$SCRATCH/remove.log" ||
	fail "the prerm did not say it kept the UKI's image"
grep -qF "initoverlayfs: removing /boot/initoverlayfs-$k612-" "$SCRATCH/remove.log" &&
	fail "the prerm removed an image of $k612"
# Removed, not purged: the distribution's commands with the hooks still
# in /etc, the builder gone.
deb_chroot_run update-initramfs -u -k "$k612" >"$SCRATCH/removed-update.log" 2>&1 || {
	cat "$SCRATCH/removed-update.log" >&2
	fail "update-initramfs -u failed with the package removed"
}
deb_chroot_run /etc/kernel/postinst.d/zz-initoverlayfs "$k612" "/boot/vmlinuz-$k612" >>"$SCRATCH/removed-update.log" 2>&1 ||
	fail "the kernel postinst.d hook failed with the package removed"
cat "$SCRATCH/removed-update.log" >&2
classic "after update-initramfs -u with the package removed"
deb_chroot_run dpkg --purge initoverlayfs >"$SCRATCH/purge.log" 2>&1 || {
	cat "$SCRATCH/purge.log" >&2
	fail "dpkg --purge initoverlayfs failed"
}
cat "$SCRATCH/purge.log" >&2
for f in /etc/initoverlayfs/install.conf /etc/initoverlayfs "${hooks[@]}"; do
	[[ ! -e $root$f ]] || fail "$f is left after purge"
done
classic "after purge"
left=$(cd "$root/boot" && ls initoverlayfs-* 2>/dev/null || true)
[[ $left == "$uki_image" ]] || fail "images left in /boot after purge: '$left', not the UKI's $uki_image"
if deb_chroot_run dpkg-query -W -f='${Status}' initoverlayfs 2>/dev/null | grep -q installed; then
	fail "initoverlayfs still known to dpkg"
fi
log "PASS in $((SECONDS - started)) s"
