#!/usr/bin/env bash
# The /boot layouts the mini initramfs cannot read the image from, on the
# real 6.12 modules, without a VM (issue 11): /boot on a stacked device
# (LVM, md RAID) makes the default
# placement initrd, with the reason in the summary; --placement bootfs
# there is refused naming the layout, and from a hook the refusal keeps the
# classic initramfs and exits 0. /boot named by a udev link is written as
# its tag, which init mode can find without udev. The boot disk's own
# driver joins the plan, or the build is refused when the kernel lacks it.
# An image whose init cannot run is refused.
. "$(dirname "$0")/lib/setup.sh"
pair_payload "$SCRATCH/payload"
common=(--kver "$K612_VER" --moddir "$K612_MODDIR" --rootdir "$SCRATCH/payload")
mini=initramfs-$K612_VER.img
# The config, from the mini initramfs's first (zstd) part: with placement
# initrd the image follows uncompressed, which zstd stops at.
conf_of() { { zstd -dcq "$1" 2>/dev/null || true; } | cpio -i --to-stdout --quiet etc/initoverlayfs.conf; }

# This machine's kernel has neither device-mapper nor md (PLATFORM.md), so
# the boot filesystem is a loop device that a stand-in for /sys/class/block
# describes as an LVM volume, as device-mapper does: dm/uuid "LVM-...".
disk=$SCRATCH/lvm.ext4
truncate -s 96M "$disk"
mkfs.ext4 -q -F "$disk"
loopdev=$(losetup -f --show "$disk")
mnt=$SCRATCH/mnt
trap 'umount -l "$mnt" 2>/dev/null || true; losetup -d "$loopdev" 2>/dev/null || true; _boot_on_exit' EXIT
mkdir -p "$mnt"
mount "$loopdev" "$mnt"
fake=$SCRATCH/sys-class-block
mkdir -p "$fake/${loopdev#/dev/}/dm"
echo "LVM-iofstest0123456789" >"$fake/${loopdev#/dev/}/dm/uuid"
export INITOVERLAYFS_TEST_SYS_CLASS_BLOCK=$fake

# 1. Default placement: initrd, said why; no image file, the config says so.
out=$("$BUILDER" "${common[@]}" --output-dir "$mnt" 2>&1) || { echo "$out" >&2; boot_fail "build on LVM failed"; }
grep -q "placement       initrd, not bootfs: $mnt is on $loopdev (LVM), which the mini initramfs cannot assemble" <<<"$out" ||
	{ echo "$out" >&2; boot_fail "the summary does not say why the placement is initrd"; }
conf_of "$mnt/$mini" >"$SCRATCH/conf"
grep -qx "placement initrd" "$SCRATCH/conf" || boot_fail "config is not placement initrd: $(cat "$SCRATCH/conf")"
! compgen -G "$mnt/initoverlayfs-$K612_VER*.img" >/dev/null || boot_fail "an image file was written beside the initrd placement"
rm -f -- "$mnt/$mini"

# 2. --placement bootfs asked for: refused, nothing written.
echo "classic" >"$mnt/$mini"
if out=$("$BUILDER" -f "${common[@]}" --placement bootfs --output-dir "$mnt" 2>&1); then
	boot_fail "--placement bootfs on LVM was accepted"
fi
grep -q "error: --placement bootfs: $mnt is on $loopdev (LVM), which the mini initramfs cannot assemble; use --placement initrd" <<<"$out" ||
	boot_fail "unexpected refusal: $out"
[[ $(cat "$mnt/$mini") == classic ]] || boot_fail "the refused build changed $mini"

# 3. The same from a hook: the same error, the classic file stays, exit 0.
out=$("$BUILDER" --hook -f "${common[@]}" --placement bootfs --output-dir "$mnt" --initramfs-name "$mini" 2>&1) ||
	boot_fail "--hook exited $? on a layout it refuses: $out"
grep -q "error: --placement bootfs: " <<<"$out" || boot_fail "--hook did not say why: $out"
grep -q -- "--hook: not converted" <<<"$out" || boot_fail "--hook did not say it kept the file: $out"
[[ $(cat "$mnt/$mini") == classic ]] || boot_fail "the hook's refused build changed $mini"

# md RAID the same way: refused by name.
rm -rf -- "${fake:?}/${loopdev#/dev/}/dm"
mkdir -p "$fake/${loopdev#/dev/}/md"
if out=$("$BUILDER" -f "${common[@]}" --placement bootfs --output-dir "$mnt" 2>&1); then
	boot_fail "--placement bootfs on md RAID was accepted"
fi
grep -q "$mnt is on $loopdev (md RAID), which the mini initramfs cannot assemble" <<<"$out" ||
	boot_fail "unexpected refusal on md RAID: $out"
unset INITOVERLAYFS_TEST_SYS_CLASS_BLOCK

# The boot filesystem's disk behind a controller the generic set of storage
# drivers lacks (a stand-in for /sys puts the loop device there): its
# driver is added to the plan; one the target kernel does not have at all
# refuses the build before anything is written, naming it.
sysfs=$SCRATCH/sys
fake_controller() { # DRIVER
	rm -rf -- "$sysfs"
	local fn=$sysfs/devices/pci0000:00/0000:00:05.0
	mkdir -p "$fn/host0/target0:0:0/0:0:0:0/block/sdz" "$sysfs/bus/pci/drivers/$1" "$sysfs/module/$1" "$sysfs/dev/block"
	ln -s "../../../bus/pci/drivers/$1" "$fn/driver"
	ln -s "../../../../module/$1" "$sysfs/bus/pci/drivers/$1/module"
	ln -s "../../devices/pci0000:00/0000:00:05.0/host0/target0:0:0/0:0:0:0/block/sdz" \
		"$sysfs/dev/block/$(stat -c '%Hd:%Ld' "$mnt")"
}
fake_controller megaraid_sas
out=$(INITOVERLAYFS_TEST_SYSFS=$sysfs "$BUILDER" -v -f "${common[@]}" --output-dir "$mnt" 2>&1) ||
	{ echo "$out" >&2; boot_fail "build with the boot disk on megaraid_sas failed"; }
grep -q "drivers of the boot filesystem's device ($loopdev): megaraid_sas" <<<"$out" ||
	{ echo "$out" >&2; boot_fail "the builder did not read the boot disk's driver"; }
grep -q "added megaraid_sas: the boot filesystem's device uses it" <<<"$out" ||
	{ echo "$out" >&2; boot_fail "megaraid_sas was not added to the plan"; }
{ zstd -dcq "$mnt/$mini" 2>/dev/null || true; } | cpio -t --quiet 2>/dev/null | grep -q '/megaraid_sas\.ko' ||
	boot_fail "megaraid_sas.ko is not in the mini initramfs"
rm -f -- "$mnt"/initoverlayfs-*.img
echo "classic" >"$mnt/$mini"
fake_controller vendor_hba
if out=$(INITOVERLAYFS_TEST_SYSFS=$sysfs "$BUILDER" -f "${common[@]}" --output-dir "$mnt" 2>&1); then
	boot_fail "a boot disk whose driver the kernel lacks was accepted"
fi
grep -q "error: module vendor_hba: the boot filesystem's device ($loopdev) needs it, and $K612_MODDIR has it neither as a module nor built in" <<<"$out" ||
	boot_fail "unexpected refusal for a missing boot disk driver: $out"
[[ $(cat "$mnt/$mini") == classic ]] || boot_fail "the refused build changed $mini"
! compgen -G "$mnt/initoverlayfs-*.img" >/dev/null || boot_fail "the refused build left an image"
rm -f -- "$mnt/$mini"

# 4. --bootfs as udev's link: the config names the tag.
uuid=$(blkid -p -o value -s UUID "$loopdev")
mkdir -p "$SCRATCH/img"
"$BUILDER" "${common[@]}" --bootfs "/dev/disk/by-uuid/$uuid" --bootfstype ext4 --output-dir "$SCRATCH/img" >/dev/null
grep -qx "bootfs UUID=$uuid" <(conf_of "$SCRATCH/img/$mini") ||
	boot_fail "--bootfs /dev/disk/by-uuid/ not written as UUID=: $(conf_of "$SCRATCH/img/$mini")"
rm -f -- "$SCRATCH/img"/*
"$BUILDER" "${common[@]}" --bootfs '/dev/disk/by-label/my\x20boot' --bootfstype ext4 --output-dir "$SCRATCH/img" >/dev/null
grep -qx "bootfs LABEL=my boot" <(conf_of "$SCRATCH/img/$mini") ||
	boot_fail "--bootfs /dev/disk/by-label/ not written as LABEL=: $(conf_of "$SCRATCH/img/$mini")"
# 5. An image whose init cannot run is refused before anything is written,
# with the early-boot program's own words; --set init= names another.
mkdir -p "$SCRATCH/noinit"
cp -a "$SCRATCH/payload/." "$SCRATCH/noinit/"
rm -f -- "$SCRATCH/noinit/init"
ln -s /usr/lib/systemd/systemd "$SCRATCH/noinit/init"
rm -f -- "$SCRATCH/img"/*
if out=$("$BUILDER" --kver "$K612_VER" --moddir "$K612_MODDIR" --rootdir "$SCRATCH/noinit" \
	--bootfs LABEL=x --bootfstype ext4 --output-dir "$SCRATCH/img" 2>&1); then
	boot_fail "an image without an init was built"
fi
grep -q "error: the image would have no init: tried /init (a dangling symlink to /usr/lib/systemd/systemd), /sbin/init (No such file or directory)" <<<"$out" ||
	boot_fail "unexpected refusal of an image without init: $out"
[[ -z $(ls -A "$SCRATCH/img") ]] || boot_fail "the refused build left files: $(ls -A "$SCRATCH/img")"
cp "$SCRATCH/payload/init" "$SCRATCH/noinit/bin/start"
"$BUILDER" --kver "$K612_VER" --moddir "$K612_MODDIR" --rootdir "$SCRATCH/noinit" --set init=/bin/start \
	--bootfs LABEL=x --bootfstype ext4 --output-dir "$SCRATCH/img" >/dev/null ||
	boot_fail "--set init=/bin/start was not accepted for an image with /bin/start"
echo "PASS: $BOOT_TEST_NAME"
