#!/usr/bin/env bash
# The builder's promises that need no VM, on the real 6.12 modules:
# the same inputs give the same mini initramfs bytes (SOURCE_DATE_EPOCH);
# existing files are kept without -f; an unknown --drivers module is an
# error; a full output filesystem fails with a clear error and leaves the
# old pair untouched and no temporary files behind; without --bootfs the
# boot filesystem is the one holding the output directory; --hostonly.
. "$(dirname "$0")/lib/setup.sh"
pair_payload "$SCRATCH/payload"
common=(--kver "$K612_VER" --moddir "$K612_MODDIR" --rootdir "$SCRATCH/payload"
	--bootfs LABEL=x --bootfstype ext4)
mini=initramfs-$K612_VER.img
image=initoverlayfs-$K612_VER.img  # the name before images had names of their own

# Reproducible.
mkdir -p "$SCRATCH/a" "$SCRATCH/b"
SOURCE_DATE_EPOCH=1700000000 "$BUILDER" "${common[@]}" --output-dir "$SCRATCH/a" >/dev/null
SOURCE_DATE_EPOCH=1700000000 "$BUILDER" "${common[@]}" --output-dir "$SCRATCH/b" >/dev/null
cmp "$SCRATCH/a/$mini" "$SCRATCH/b/$mini" || boot_fail "mini initramfs not reproducible"
[[ $(basename "$(pair_image "$SCRATCH/a" "$K612_VER")") == "$(basename "$(pair_image "$SCRATCH/b" "$K612_VER")")" ]] ||
	boot_fail "image name not reproducible"

# No -f: refused, nothing changed.
a_image=$(basename "$(pair_image "$SCRATCH/a" "$K612_VER")")
before=$(sha256sum "$SCRATCH/a/$mini" "$SCRATCH/a/$a_image")
if out=$("$BUILDER" "${common[@]}" --output-dir "$SCRATCH/a" 2>&1); then boot_fail "replaced files without -f"; fi
grep -q "error: refusing to replace $SCRATCH/a/$mini (use -f)" <<<"$out" || boot_fail "unexpected message: $out"
[[ $before == "$(sha256sum "$SCRATCH/a/$mini" "$SCRATCH/a/$a_image")" ]] || boot_fail "files changed"

# Unknown driver.
if out=$("$BUILDER" -f "${common[@]}" --output-dir "$SCRATCH/b" --drivers no_such_driver 2>&1); then
	boot_fail "accepted an unknown driver"
fi
grep -q "error: module no_such_driver: not found in $K612_MODDIR (--drivers)" <<<"$out" || boot_fail "unexpected message: $out"

# An initramfs-tools-like /init (it ends in klibc's run-init): the config
# gets root_layout tmpfs; systemd mode refuses it before building anything.
itools=$SCRATCH/itools
cp -a "$SCRATCH/payload" "$itools"
printf '#!/bin/sh\n. /scripts/functions\nexec run-init ${rootmnt} ${init} "$@"\n' >"$itools/init"
mkdir -p "$SCRATCH/c"
"$BUILDER" -f "${common[@]/$SCRATCH\/payload/$itools}" --output-dir "$SCRATCH/c" >/dev/null
zstd -dcq "$SCRATCH/c/$mini" | cpio -i --to-stdout --quiet etc/initoverlayfs.conf | grep -qx 'root_layout tmpfs' ||
	boot_fail "no root_layout tmpfs for a run-init /init"
if out=$("$BUILDER" -f "${common[@]/$SCRATCH\/payload/$itools}" --output-dir "$SCRATCH/c" --mode systemd 2>&1); then
	boot_fail "systemd mode accepted a run-init /init"
fi
grep -q "error: --mode systemd is refused: the input's /init switches root with klibc's run-init" <<<"$out" ||
	boot_fail "unexpected message: $out"

# Full disk: a 3 MiB tmpfs holds an old pair; the new, larger image cannot fit.
full=$SCRATCH/full
mkdir -p "$full"
mount -t tmpfs -o size=3m iofs-test-full "$full"
trap 'umount -l "$full" 2>/dev/null || true; _boot_on_exit' EXIT
echo "old mini" >"$full/$mini"
echo "old image" >"$full/$image"
head -c 8M /dev/urandom >"$SCRATCH/payload/etc/big-random"
if out=$("$BUILDER" -f "${common[@]}" --output-dir "$full" 2>&1); then boot_fail "succeeded on a full disk"; fi
grep -q "No space left on device" <<<"$out" || boot_fail "no ENOSPC in: $out"
[[ $(cat "$full/$mini") == "old mini" && $(cat "$full/$image") == "old image" ]] || boot_fail "old pair damaged"
leftover=$(find "$full" -name '.*' -type f)
[[ -z $leftover ]] || boot_fail "temporary files left: $leftover"
umount "$full"

# No --bootfs: the filesystem holding the output directory, by its UUID
# (this machine's fstab has no entry for it), its device as the hint, the
# image's path on it from the mount table. --hostonly: the modules of the
# devices below that filesystem instead of the generic set.
bootdisk=$SCRATCH/bootdisk.ext4
buuid=$(cat /proc/sys/kernel/random/uuid)
truncate -s 64M "$bootdisk"
mkfs.ext4 -q -F -U "$buuid" "$bootdisk"
loopdev=$(losetup -f --show "$bootdisk")
mnt=$SCRATCH/mnt
mkdir -p "$mnt"
mount "$loopdev" "$mnt"
trap 'umount -l "$mnt" 2>/dev/null || true; losetup -d "$loopdev" 2>/dev/null || true; _boot_on_exit' EXIT
mkdir -p "$mnt/sub"
rm -f "$SCRATCH/payload/etc/big-random"
"$BUILDER" --kver "$K612_VER" --moddir "$K612_MODDIR" --rootdir "$SCRATCH/payload" \
	--output-dir "$mnt/sub" --hostonly >"$SCRATCH/auto.summary"
cat "$SCRATCH/auto.summary" >&2
image=$(basename "$(pair_image "$mnt/sub" "$K612_VER")")
grep -q "boot filesystem UUID=$buuid, image at /sub/$image on it" "$SCRATCH/auto.summary" ||
	boot_fail "boot filesystem not derived from the mount"
zstd -dc "$mnt/sub/$mini" | cpio -i --to-stdout --quiet etc/initoverlayfs.conf >"$SCRATCH/auto.conf"
grep -qx "bootfs UUID=$buuid" "$SCRATCH/auto.conf" || boot_fail "config lacks bootfs"
grep -qx "bootfs_hint $loopdev" "$SCRATCH/auto.conf" || boot_fail "config lacks the hint"
grep -qx "fs sub/$image" "$SCRATCH/auto.conf" || boot_fail "config lacks the image path"
grep -qx "bootfstype ext4" "$SCRATCH/auto.conf" || boot_fail "config lacks the type"
# A loop device has no driver module: only the image's and ext4's closure.
mods=$(sed -n 's/.*(zstd, \([0-9]*\) modules).*/\1/p' "$SCRATCH/auto.summary")
[[ -n $mods && $mods -lt 20 ]] || boot_fail "--hostonly took $mods modules"
grep -q ' ext4' "$SCRATCH/auto.summary" && ! grep -q 'usb_storage' "$SCRATCH/auto.summary" ||
	boot_fail "--hostonly module choice"

# --write-partition, on two loop devices standing for the A/B slots
# (named by path: this host's kernel does not scan GPT partitions of loop
# devices; PARTLABEL= matching is shared with the early-boot program and
# covered by its tests). Slot A holds ext4; slot B is empty. Only the
# device --bootfs names, and only one holding nothing or an older image,
# is written; nothing is built before a refusal.
truncate -s 24M "$SCRATCH/slot_a" "$SCRATCH/slot_b"
mkfs.ext4 -q "$SCRATCH/slot_a"
slot_a=$(losetup -f --show "$SCRATCH/slot_a")
slot_b=$(losetup -f --show "$SCRATCH/slot_b")
trap 'umount -l "$mnt" 2>/dev/null || true; losetup -d "$loopdev" 2>/dev/null || true; umount -l "$SCRATCH/pmnt" 2>/dev/null || true; losetup -d "$slot_a" "$slot_b" 2>/dev/null || true; _boot_on_exit' EXIT
part=(--kver "$K612_VER" --moddir "$K612_MODDIR" --rootdir "$SCRATCH/payload" --placement partition -f)
mkdir -p "$SCRATCH/part"
expect_refusal() { # MESSAGE ARGS...
	local msg=$1
	shift
	if out=$("$BUILDER" "${part[@]}" --output-dir "$SCRATCH/part" "$@" 2>&1); then boot_fail "accepted: $*"; fi
	grep -qF -- "$msg" <<<"$out" || boot_fail "unexpected message: $out"
	[[ ! -e $SCRATCH/part/$mini ]] || boot_fail "built something before refusing"
}
expect_refusal "$slot_a holds a filesystem (ext4), not an image" --bootfs "$slot_a" --write-partition "$slot_a"
expect_refusal "$slot_b is not $slot_a, which the mini initramfs will look for" --bootfs "$slot_a" --write-partition "$slot_b"
expect_refusal "not a block device" --bootfs "$slot_b" --write-partition "$SCRATCH/slot_b"
"$BUILDER" "${part[@]}" --output-dir "$SCRATCH/part" --bootfs "$slot_b" --write-partition "$slot_b" >/dev/null
[[ $(blkid -p -o value -s TYPE "$slot_b") == erofs ]] || boot_fail "image not written to $slot_b"
image=$(basename "$(pair_image "$SCRATCH/part" "$K612_VER")")
cmp -n "$(stat -c %s "$SCRATCH/part/$image")" "$SCRATCH/part/$image" "$slot_b" || boot_fail "slot differs from the image"
# Replacing the older image is fine; while it is mounted it is not.
"$BUILDER" "${part[@]}" --output-dir "$SCRATCH/part" --bootfs "$slot_b" --write-partition "$slot_b" >/dev/null
mkdir -p "$SCRATCH/pmnt"
mount -t erofs -o ro "$slot_b" "$SCRATCH/pmnt"
rm -f "$SCRATCH/part/$mini"
expect_refusal "mounted; refusing to overwrite it" --bootfs "$slot_b" --write-partition "$slot_b"
umount "$SCRATCH/pmnt"
echo "PASS: $BOOT_TEST_NAME"
