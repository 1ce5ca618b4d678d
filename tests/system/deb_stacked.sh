#!/usr/bin/env bash
# Issue 11: /boot on md RAID1 or on LVM, as installers lay it out, on a
# Debian 12 system with initramfs-tools, mdadm or lvm2 and the .deb
# installed. Nothing in a mini initramfs assembles an array or activates a
# volume group, so the builder must put the image inside the mini initramfs
# (placement initrd) and say why; the system must then boot to multi-user
# with /boot mounted from the array or the logical volume.
#
# Two boots. The setup boot (classic initramfs) makes the array or the
# volume group on blank disks, moves /boot there, adds it to fstab and runs
# update-initramfs, whose hook converts the initramfs on the machine itself,
# where the builder sees the real /boot device (this host's kernel has
# neither md nor device-mapper); it hands /boot back on a raw transfer disk
# (guest/iofs-stacked-setup). The second boot starts the converted mini
# initramfs with the same disks and is checked like every full-system boot.
# Usage: deb_stacked.sh md|lvm [PATH/TO/initoverlayfs_*.deb]
# (default package: the newest in $IOFS_DEB_DIR, as deb_kernel.sh).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../boot/lib/common.sh"
. "$here/../boot/lib/kernels.sh"
. "$here/../boot/lib/qemu.sh"
. "$here/../boot/lib/pair.sh"
. "$here/lib/system.sh"
. "$here/lib/check.sh"
boot_test_init
[[ $(id -u) == 0 ]] || boot_skip "needs root"
layout=${1:-}
[[ $layout =~ ^(md|lvm)$ ]] || boot_fail "usage: $0 md|lvm [DEB]"
BOOT_TEST_NAME+=" $layout"
deb=""  # set by system_deb_test_setup
system_deb_test_setup "${2:-}"
kver=$SYSTEM_KVER
# The host-only initramfs-tools system: update-initramfs runs in the guest,
# under TCG, where MODULES=most took over 25 minutes (host-only: seconds);
# mdadm's and lvm2's hooks add their modules either way.
variant=initramfs-tools-dep
declare -A tool=([md]=mdadm [lvm]=lvm2) kind=([md]="md RAID" [lvm]=LVM)

vdir=$SCRATCH/variant
mkdir -p "$vdir"
cp -- "$(system_variant_dir "$variant")/info" "$vdir/"
root=$SCRATCH/rootdir
system_root_copy "$variant" "$root" || boot_fail "system_root_copy failed"
# The root alone in fstab until the setup boot has made /boot.
printf 'LABEL=%s / ext4 errors=remount-ro 0 1\n' "$SYSTEM_ROOT_LABEL" >"$root/etc/fstab"
# mdadm or lvm2 first (their postinst remakes the classic initramfs with
# their hooks), then the .deb, which converts nothing until the next
# update-initramfs.
_sys_apt "$root" install --no-install-recommends "${tool[$layout]}" >"$SCRATCH/apt.log" 2>&1 ||
	{ cat "$SCRATCH/apt.log" >&2; boot_fail "apt-get install ${tool[$layout]} failed"; }
cp -- "$deb" "$root/tmp/initoverlayfs.deb"
_sys_apt "$root" install --no-install-recommends /tmp/initoverlayfs.deb >>"$SCRATCH/apt.log" 2>&1 ||
	{ cat "$SCRATCH/apt.log" >&2; boot_fail "apt-get install initoverlayfs.deb failed"; }
rm -f -- "$root/tmp/initoverlayfs.deb"
find "$root/var/lib/apt/lists" -maxdepth 1 -type f -delete

# Disks: root (vda), the blank members (md: vdb and vdc; LVM: vdb), the
# transfer disk (the setup boot only).
out=$SCRATCH/disks
mkdir -p "$out"
members=() guest_members=''
n=1
[[ $layout == md ]] && n=2
letters=(b c d)
for ((i = 0; i < n; i++)); do
	truncate -s 512M "$out/member$i.img"
	members+=("$out/member$i.img")
	guest_members+=" /dev/vd${letters[i]}"
done
truncate -s 1G "$SCRATCH/transfer.img"
install -m 0755 -- "$here/guest/iofs-stacked-setup" "$root/usr/local/sbin/"
install -m 0644 -- "$here/guest/iofs-stacked-setup.service" "$root/etc/systemd/system/"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf ../iofs-stacked-setup.service "$root/etc/systemd/system/multi-user.target.wants/"
cat >"$root/etc/iofs-stacked-setup.conf" <<EOF
LAYOUT=$layout
KVER=$kver
UUID=$SYSTEM_BOOT_UUID
LABEL=$SYSTEM_BOOT_LABEL
MEMBERS='${guest_members# }'
TRANSFER=/dev/vd${letters[n]}
EOF
# The report service's files, enabled by the setup boot for the next one.
install -m 0755 -- "$here/guest/iofs-report" "$root/usr/local/sbin/iofs-report"
install -m 0644 -- "$here/guest/iofs-report.service" "$root/etc/systemd/system/"
mkdir -p "$root/etc/systemd/system/sysinit.target.wants"
mkdir -p "$vdir/root/boot"
cp -- "$root/boot/vmlinuz-$kver" "$root/boot/initrd.img-$kver" "$vdir/root/boot/"
mib=$(du -sm -- "$root" | cut -f1)
disk_ext4_make "$out/root.img" $((mib * 5 / 4 + 768)) "$SYSTEM_ROOT_LABEL" \
	"$(cat /proc/sys/kernel/random/uuid)" "$root" || boot_fail "making the root disk failed"
rm -rf -- "$root"

# The setup boot: no icount (its timeline is not measured), so that
# update-initramfs and the builder run at TCG's full speed.
boot_log "setup boot: /boot onto ${kind[$layout]}, then update-initramfs (console: $SCRATCH/setup.log)"
rc=0
SYSTEM_EXTRA_DRIVES="${members[*]} $SCRATCH/transfer.img" QEMU_ICOUNT=0 QEMU_TIMEOUT=${QEMU_SETUP_TIMEOUT:-1800} \
	system_boot "$vdir" "$vdir/root/boot/initrd.img-$kver" "$out" "$SCRATCH/setup.log" || rc=$?
boot_log "setup boot ended after $QEMU_BOOT_WALL s wall (qemu status $rc)"
setup=$(tr -d '\r' <"$SCRATCH/setup.log")
if ! grep -q '^IOFS-SETUP done' <<<"$setup"; then
	grep -aE 'IOFS-SETUP|initoverlayfs|mdadm|lvm|error|Failed' <<<"$setup" | tail -n 40 >&2 || true
	boot_fail "the setup boot did not finish (qemu status $rc)"
fi
grep -aE '^IOFS-SETUP|initoverlayfs' <<<"$setup" >&2 || true

# What the hook left in /boot, read back from the transfer disk.
bootdir=$SCRATCH/boot
mkdir -p "$bootdir"
tar -C "$bootdir" -xf "$SCRATCH/transfer.img"
rm -f -- "$SCRATCH/transfer.img"
mini=$bootdir/initrd.img-$kver
from_mini() { { zstd -dcq "$mini" 2>/dev/null || true; } | cpio -i --to-stdout --quiet "$1" 2>/dev/null || true; }
marker=$(from_mini etc/initoverlayfs-install.made)
[[ $marker == "initoverlayfs-install "* ]] || boot_fail "$mini is not a mini initramfs (the hook did not convert it)"
conf=$(from_mini etc/initoverlayfs.conf)
grep -qx "placement initrd" <<<"$conf" || boot_fail "/boot on ${kind[$layout]}, but not placement initrd: $conf"
# The summary says why, naming the device and what it is.
grep -qE "placement +initrd, not bootfs: /boot is on /dev/[^ ]+ \(${kind[$layout]}\), which the mini initramfs cannot assemble" <<<"$setup" ||
	boot_fail "the hook's summary does not say that /boot is on ${kind[$layout]}"
! compgen -G "$bootdir/initoverlayfs-$kver*.img" >/dev/null ||
	boot_fail "an image file beside the initrd placement: $(ls "$bootdir"/initoverlayfs-*)"
boot_log "mini initramfs with the image inside: $(du -h --apparent-size "$mini" | cut -f1)"

# The second boot: the converted mini initramfs, the same disks.
cp -- "$mini" "$vdir/root/boot/initrd.img-$kver"
rc=0
SYSTEM_EXTRA_DRIVES="${members[*]}" system_boot "$vdir" "$vdir/root/boot/initrd.img-$kver" "$out" "$SCRATCH/boot.log" || rc=$?
boot_log "boot ended after $QEMU_BOOT_WALL s wall (qemu status $rc)"
system_check "$SCRATCH/boot.log" initoverlayfs "$layout"
if ((${#SYSTEM_PROBLEMS[@]})); then
	system_console_excerpt "$SCRATCH/boot.log" >&2
	printf '%s: FAIL: %s\n' "$BOOT_TEST_NAME" "${SYSTEM_PROBLEMS[@]}" >&2
	exit 1
fi
tr -d '\r' <"$SCRATCH/boot.log" | grep -a 'initoverlayfs: ready in' >&2
system_report "$SCRATCH/boot.log" boot | sed "s/^/$BOOT_TEST_NAME: \/boot: /" >&2
echo "PASS: $BOOT_TEST_NAME"
