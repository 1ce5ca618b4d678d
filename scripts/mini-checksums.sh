#!/usr/bin/env bash
# Prints the sha256 of the mini initramfs (and of the summary) the builder makes, for a matrix of
# placements and options, from one fixed input under SOURCE_DATE_EPOCH: run
# it at two commits with the same early-boot program and compare the lists
# to show that a change to the builder left its output byte for byte alone.
#
#   scripts/mini-checksums.sh BUILDER PROGRAM KVER MODDIR
#
# BUILDER is initoverlayfs-install, PROGRAM the early-boot program to put in
# as /init (pinned, so that only the builder is compared). Where a build
# makes something afresh each time (a UUID, a salt, a temporary name), that
# is masked before hashing; the rows say which.
set -euo pipefail
builder=$(realpath "${1:?usage: $0 BUILDER PROGRAM KVER MODDIR}")
program=$(realpath "${2:?}")
kver=${3:?}
moddir=${4:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000

# A fixed payload: busybox, an /init, set mtimes.
p=$work/payload
mkdir -p "$p"/{bin,dev,proc,sys,run,tmp,etc,sbin}
cp "$(command -v busybox)" "$p/bin/busybox"
ln -s busybox "$p/bin/sh"
printf '#!/bin/sh\necho fixed payload\n' >"$p/init"
chmod 755 "$p/init"
echo fixed >"$p/etc/payload-token"
find "$p" -exec touch -h -d @1700000000 {} +
itools=$work/itools
cp -a "$p" "$itools"
printf '#!/bin/sh\n. /scripts/functions\nexec run-init ${rootmnt} ${init} "$@"\n' >"$itools/init"
touch -d @1700000000 "$itools/init"

base=(--kver "$kver" --moddir "$moddir" --early-boot-program "$program")
row() {
	local name=$1
	shift
	local out=$work/out-$name
	mkdir -p "$out"
	"$builder" -f "${base[@]}" --output-dir "$out" "$@" >"$out.summary"
	# The summary too, without its time and the temporary paths.
	local said
	said=$(grep -v '^  took ' "$out.summary" | sed "s|$work|WORK|g; s/UUID=[0-9a-f-]\{36\}/UUID=*/g; s/[0-9a-f]\{64\}/*/g" | sha256sum)
	local mini=$out/initramfs-$kver.img
	local sum
	case $name in
	pmem | virtio-pmem | verity | systemd | initrd)
		# The decompressed archive, with what is made afresh each time shown as
		# stars of the same length: the pmem image's UUID, verity's root hash
		# and salt, the scratch directory's name in dracut's record of its
		# arguments, the mtimes dracut gives its files. initrd: the appended image (its EROFS UUID is random) is
		# left out; zstd stops at it.
		sum=$({ zstd -dcq "$mini" 2>/dev/null || true; } | python3 -c '
import re, sys
data = sys.stdin.buffer.read()
data = re.sub(rb"UUID=[0-9a-f-]{36}", lambda m: b"*" * len(m.group(0)), data)
data = re.sub(rb"\b[0-9a-f]{64}\b", b"*" * 64, data)
data = re.sub(rb"initoverlayfs-install\.[A-Za-z0-9]{6}", b"*" * 28, data)
if sys.argv[1] == "systemd":
    # dracut stamps its files with the time of the build: the mtime
    # field of each newc header (bytes 46..54) is masked.
    out, i = bytearray(data), 0
    while data[i:i + 6] == b"070701":
        namesize = int(data[i + 94:i + 102], 16)
        filesize = int(data[i + 54:i + 62], 16)
        out[i + 46:i + 54] = b"*" * 8
        i = (i + 110 + namesize + 3) & ~3
        i = (i + filesize + 3) & ~3
    data = bytes(out)
sys.stdout.buffer.write(data)' "$name" | sha256sum) ;;
	*) sum=$(sha256sum <"$mini") ;;
	esac
	printf '%-22s %s  summary %s\n' "$name" "${sum%% *}" "${said:0:16}"
}
row bootfs --rootdir "$p" --bootfs LABEL=x --bootfstype ext4
row bootfs-vfat --rootdir "$p" --bootfs UUID=1234-ABCD --bootfstype vfat --bootfs-path /efi
row bootfs-drivers --rootdir "$p" --bootfs LABEL=x --bootfstype ext4 --drivers virtio_blk,nvme
row bootfs-gzip --rootdir "$p" --bootfs LABEL=x --bootfstype ext4 --initramfs-compression gzip
row bootfs-squashfs --rootdir "$p" --bootfs LABEL=x --bootfstype ext4 --lowerfs squashfs
row bootfs-set --rootdir "$p" --bootfs LABEL=x --bootfstype ext4 --set onfailure=poweroff
row bootfs-run-init --rootdir "$itools" --bootfs LABEL=x --bootfstype ext4
row hostonly --rootdir "$p" --bootfs LABEL=x --bootfstype ext4 --hostonly
row partition --rootdir "$p" --placement partition --bootfs PARTLABEL=iofs
row initrd --rootdir "$p" --placement initrd
row pmem --rootdir "$p" --placement pmem
row virtio-pmem --rootdir "$p" --placement virtio-pmem
row verity --rootdir "$p" --bootfs LABEL=x --bootfstype ext4 --verity
row systemd --rootdir "$p" --bootfs LABEL=x --bootfstype ext4 --mode systemd
