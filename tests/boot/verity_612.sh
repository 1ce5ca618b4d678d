#!/usr/bin/env bash
# dm-verity on 6.12, all from one build (--verity): a verified image boots
# and its files read back intact while the kernel command line tries to
# turn verity off and swap the root hash (refused); a flipped byte in a
# file's data and one in the hash tree leaf covering another file make
# those reads fail with EIO (the kernel logs the corruption) while the rest
# reads intact; a wrong root hash in the config and a truncated image stop
# the boot with an initoverlayfs error and the failure action; a corrupted
# top of the hash tree restarts the machine and a corrupted EROFS
# superblock panics it, with verity_on_corruption restart / panic; the
# image inside the initrd is verified too; and a root hash signed by a key
# the kernel does not trust is refused.
. "$(dirname "$0")/lib/setup.sh"
command -v veritysetup >/dev/null || boot_fail "veritysetup missing (bash scripts/install-deps.sh)"
command -v openssl >/dev/null || boot_fail "openssl missing"

payload=$SCRATCH/payload
pair_payload "$payload"
ln -sf busybox "$payload/bin/sha256sum"
mkdir -p "$payload/data"
head -c 1048576 /dev/urandom >"$payload/data/a.bin"
head -c 2097152 /dev/urandom >"$payload/data/b.bin"
head -c 524288 /dev/urandom >"$payload/data/d.bin"
seq 1 20000 >"$payload/data/c.txt"
cat >"$payload/init" <<'PAYLOAD'
#!/bin/sh
mount -t proc proc /proc
echo "PAYLOAD-INIT-RAN pid=$$"
echo "PAYLOAD-STAGING $(grep -c ' /run/initoverlayfs' /proc/mounts) mounts under /run/initoverlayfs"
for f in /data/*; do
	if out=$(sha256sum "$f" 2>&1); then echo "PAYLOAD-SUM $out"; else echo "PAYLOAD-READ-FAILED $f: $out"; fi
done
echo "PAYLOAD-DONE"
poweroff -f
PAYLOAD
chmod 755 "$payload/init"

uuid=$(cat /proc/sys/kernel/random/uuid)
pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/out" --rootdir "$payload" \
	--bootfs "UUID=$uuid" --bootfstype ext4 --verity
grep -q '^  verity          sha256 root hash [0-9a-f]\{64\}' "$SCRATCH/out.summary" ||
	boot_fail "the builder's summary names no root hash"
mini=$SCRATCH/out/initramfs-$K612_VER.img
img=$(pair_image "$SCRATCH/out" "$K612_VER")
shown=$(re_escape "/boot/$(basename "$img")")
mkdir -p "$SCRATCH/unpacked"
(cd "$SCRATCH/unpacked" && zstd -dc "$mini" | cpio -id --quiet)
conf=$SCRATCH/unpacked/etc/initoverlayfs.conf
grep -q '^verity 1$' "$conf" || boot_fail "no 'verity 1' in the mini initramfs's config"
grep -q 'kernel/drivers/md/dm-verity.ko' "$SCRATCH/unpacked/etc/initoverlayfs.modules" ||
	boot_fail "dm-verity is not in the load plan"
key() { awk -v k="$1" '$1 == k { print $2 }' "$conf"; }
root=$(key verity_root_hash) offset=$(key verity_hash_offset) blocks=$(key verity_data_blocks)
veritysetup verify --no-superblock --hash-offset="$offset" --data-blocks="$blocks" \
	--salt="$(key verity_salt)" "$img" "$img" "$root" || boot_fail "veritysetup rejects the image the builder made"

# Where things are in the image: a file's first byte, and the hash block
# (leaf level, stored last: levels go top first) covering a data block.
locate() { pair_image_offset "$img" "$1" "$2"; } # FILE OFFSET_IN_FILE: byte offset of that byte of FILE in the image
leaf_of() { # IMAGE_BYTE: byte offset of the leaf hash block covering it
	python3 - "$offset" "$blocks" "$1" <<'PY'
import sys
hash_offset, n, byte = map(int, sys.argv[1:])
sizes, level = [], 1
while (n - 1) >> (7 * (level - 1)):
    sizes.append(-(-n // (1 << (7 * level)))); level += 1
first_leaf = hash_offset // 4096 + sum(sizes[1:])  # levels above the leaves come first
print((first_leaf + byte // 4096 // 128) * 4096)
PY
}
disk_with() { # NAME IMAGE_FILE [NAME_ON_DISK]: an ext4 boot disk holding IMAGE_FILE under
	# NAME_ON_DISK (default: the name of the first build's image)
	mkdir -p "$SCRATCH/$1.content"
	cp "$2" "$SCRATCH/$1.content/${3:-$(basename "$img")}"
	disk_ext4_make "$SCRATCH/$1.disk" 64 boot "$uuid" "$SCRATCH/$1.content"
}
repack() { # NAME SED_EXPR: the mini initramfs with its config edited
	rm -rf "$SCRATCH/$1.root" && cp -a "$SCRATCH/unpacked" "$SCRATCH/$1.root"
	sed -i "$2" "$SCRATCH/$1.root/etc/initoverlayfs.conf"
	(cd "$SCRATCH/$1.root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | zstd -q -c) >"$SCRATCH/$1.mini"
}
sum_of() { sha256sum "$payload/data/$1" | cut -d' ' -f1; }
expect_sum() { console_expect "$1" "PAYLOAD-SUM $(sum_of "$2")  /data/$2" "$3: /data/$2 read intact"; }
expect_eio() {
	console_expect "$1" "PAYLOAD-READ-FAILED /data/$2: .*Input/output error" "$3: /data/$2 read fails with EIO"
	console_reject "$1" "PAYLOAD-SUM [0-9a-f]+  /data/$2" "$3: no bytes of the corrupted /data/$2 reach the payload"
}
expect_failure() { # LOG ERE WHAT
	console_expect "$1" "$2" "$3"
	console_expect "$1" 'initoverlayfs: failure action: poweroff' "$3: failure action"
	console_expect "$1" 'reboot: Power down' "$3: powered off"
	console_reject "$1" 'PAYLOAD-INIT-RAN' "$3: payload must not run"
}

# 1. Verified boot; the command line tries to turn verity off, to swap
# the root hash, to mount another file, to run a shell instead of the
# image's init or before the switch: refused, the image is still mounted
# through dm-verity and its own init runs.
disk_with good "$img"
pair_boot "$K612_KERNEL" "$mini" "$SCRATCH/good.disk" "$SCRATCH/good.log" \
	initoverlayfs.verity=0 "initoverlayfs.verity_root_hash=$(printf '0%.0s' {1..64})" \
	initoverlayfs.verity_on_corruption=panic initoverlayfs.fs=/other.img initoverlayfs.init=/bin/sh \
	initoverlayfs.break initoverlayfs.onfailure=shell
for k in verity verity_root_hash verity_on_corruption fs init break onfailure; do
	console_expect "$SCRATCH/good.log" \
		"initoverlayfs: kernel command line: initoverlayfs\.$k: refused: the configuration requires dm-verity" "override of $k refused"
done
console_reject "$SCRATCH/good.log" 'initoverlayfs: (break shell|break point)' "no shell before the switch"
console_expect "$SCRATCH/good.log" \
	"initoverlayfs: mount: $shown \(erofs, dm-verity /dev/dm-0 over loop device /dev/loop0\)" "mounted through dm-verity"
console_expect "$SCRATCH/good.log" "initoverlayfs: verity: $shown is checked by dm-verity as /dev/dm-0 \(sha256, root hash ${root:0:16}.*on corruption: eio\)" "verity summary line"
console_expect "$SCRATCH/good.log" 'initoverlayfs: modules: loop driver loaded in [0-9]+ ms, for dm-verity over the image file' "loop driver loaded for verity on 6.12"
console_expect "$SCRATCH/good.log" 'PAYLOAD-STAGING 0 mounts' "staging mounts detached"
for f in a.bin b.bin c.txt d.bin; do expect_sum "$SCRATCH/good.log" "$f" "verified boot"; done
console_reject "$SCRATCH/good.log" 'device-mapper: verity: .* is corrupted' "verified boot: no corruption"
console_expect "$SCRATCH/good.log" 'PAYLOAD-DONE' "verified boot: payload finished"

# 2. One flipped byte in a.bin's data, one in the leaf hash block of a run
# of 128 blocks inside b.bin: those two files fail, the others read intact.
cp "$img" "$SCRATCH/flipped.img"
a_byte=$(locate "$payload/data/a.bin" 300000)
flip_byte "$SCRATCH/flipped.img" "$a_byte"
b_start=$(locate "$payload/data/b.bin" 0)
b_run=$(( (b_start / 4096 / 128 + 1) * 128 * 4096 ))  # first 128-block run wholly inside b.bin
(( b_run + 128 * 4096 <= b_start + 2097152 )) || boot_fail "no whole leaf run inside b.bin"
flip_byte "$SCRATCH/flipped.img" "$(( $(leaf_of "$b_run") + 100 ))"
disk_with flipped "$SCRATCH/flipped.img"
pair_boot "$K612_KERNEL" "$mini" "$SCRATCH/flipped.disk" "$SCRATCH/flipped.log"
expect_eio "$SCRATCH/flipped.log" a.bin "flipped data byte"
console_expect "$SCRATCH/flipped.log" "device-mapper: verity: [0-9]+:[0-9]+: data block $((a_byte / 4096)) is corrupted" "kernel logs the corrupted data block"
expect_eio "$SCRATCH/flipped.log" b.bin "flipped hash tree byte"
console_expect "$SCRATCH/flipped.log" "device-mapper: verity: [0-9]+:[0-9]+: metadata block $(( $(leaf_of "$b_run") / 4096 )) is corrupted" "kernel logs the corrupted hash block"
expect_sum "$SCRATCH/flipped.log" c.txt "corrupted image"
expect_sum "$SCRATCH/flipped.log" d.bin "corrupted image"
console_expect "$SCRATCH/flipped.log" 'PAYLOAD-DONE' "corrupted image: payload finished"

# 3. A wrong root hash in the config: nothing is mounted.
repack wronghash "s/^verity_root_hash .*/verity_root_hash $(printf '%s' "$root" | tr 0-9a-f 1-9a-f0)/"
pair_boot "$K612_KERNEL" "$SCRATCH/wronghash.mini" "$SCRATCH/good.disk" "$SCRATCH/wronghash.log"
expect_failure "$SCRATCH/wronghash.log" \
	"initoverlayfs: cannot mount $shown through dm-verity \(erofs\): Input/output error \(errno=5\)" "wrong root hash"
console_expect "$SCRATCH/wronghash.log" "device-mapper: verity: [0-9]+:[0-9]+: (data|metadata) block [0-9]+ is corrupted" "wrong root hash: kernel logs it"

# 4. The image lost its last hash block.
cp "$img" "$SCRATCH/short.img"
truncate -s -4096 "$SCRATCH/short.img"
disk_with short "$SCRATCH/short.img"
pair_boot "$K612_KERNEL" "$mini" "$SCRATCH/short.disk" "$SCRATCH/short.log"
expect_failure "$SCRATCH/short.log" \
	"initoverlayfs: dm-verity for $shown: the image has $(( $(stat -c %s "$img") - 4096 )) bytes, fewer than the $(stat -c %s "$img") its data and hash tree take \(truncated\?\): Invalid argument" "truncated image"

# 5. verity_on_corruption restart, the top of the hash tree corrupted: the
# kernel restarts at the first read (QEMU's -no-reboot ends the run).
cp "$img" "$SCRATCH/top.img"
flip_byte "$SCRATCH/top.img" $((offset + 10))
disk_with top "$SCRATCH/top.img"
repack restart 's/^verity_on_corruption .*/verity_on_corruption restart/'
pair_boot "$K612_KERNEL" "$SCRATCH/restart.mini" "$SCRATCH/top.disk" "$SCRATCH/restart.log"
console_expect "$SCRATCH/restart.log" "device-mapper: verity: [0-9]+:[0-9]+: metadata block $((offset / 4096)) is corrupted" "top of the tree: kernel logs it"
console_expect "$SCRATCH/restart.log" "reboot: Restarting system with command 'dm-verity device corrupted'" "restart on corruption"
console_reject "$SCRATCH/restart.log" 'PAYLOAD-INIT-RAN' "restart on corruption: payload must not run"

# 6. verity_on_corruption panic, the EROFS superblock corrupted.
cp "$img" "$SCRATCH/sb.img"
flip_byte "$SCRATCH/sb.img" 1030
disk_with sb "$SCRATCH/sb.img"
repack panic 's/^verity_on_corruption .*/verity_on_corruption panic/'
QEMU_TIMEOUT=240 qemu_boot "$K612_KERNEL" "$SCRATCH/panic.mini" "$SCRATCH/panic.log" -- \
	-drive "file=$SCRATCH/sb.disk,format=raw,if=virtio" || boot_fail "QEMU failed or timed out"
console_expect "$SCRATCH/panic.log" "device-mapper: verity: [0-9]+:[0-9]+: data block 0 is corrupted" "corrupted superblock: kernel logs it"
console_expect "$SCRATCH/panic.log" "Kernel panic - not syncing: dm-verity device corrupted" "panic on corruption"
console_reject "$SCRATCH/panic.log" 'PAYLOAD-INIT-RAN' "panic on corruption: payload must not run"

# 7. The image inside the mini initramfs (--placement initrd): verified
# through a loop device over the file in the initramfs.
pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/initrd" --rootdir "$payload" --placement initrd --verity
QEMU_TIMEOUT=240 qemu_boot "$K612_KERNEL" "$SCRATCH/initrd/initramfs-$K612_VER.img" "$SCRATCH/initrd.log" ||
	boot_fail "QEMU failed or timed out"
console_reject "$SCRATCH/initrd.log" 'Kernel panic' "initrd placement: no kernel panic"
console_expect "$SCRATCH/initrd.log" \
	"initoverlayfs: mount: initramfs:/$(re_escape "initoverlayfs-$K612_VER.img") \(erofs, dm-verity /dev/dm-0 over loop device /dev/loop0\)" "initrd placement: through dm-verity"
for f in a.bin c.txt; do expect_sum "$SCRATCH/initrd.log" "$f" "initrd placement"; done

# 8. The root hash signed by a key the kernel does not trust (only a
# product's own kernel or an enrolled MOK can make one trusted).
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=initoverlayfs test" \
	-keyout "$SCRATCH/sign.key" -out "$SCRATCH/sign.crt" 2>/dev/null
pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/signed" --rootdir "$payload" \
	--bootfs "UUID=$uuid" --bootfstype ext4 --verity-sign "$SCRATCH/sign.key,$SCRATCH/sign.crt"
mkdir -p "$SCRATCH/signed.root"
(cd "$SCRATCH/signed.root" && zstd -dc "$SCRATCH/signed/initramfs-$K612_VER.img" | cpio -id --quiet)
sroot=$(awk '$1 == "verity_root_hash" { print $2 }' "$SCRATCH/signed.root/etc/initoverlayfs.conf")
printf '%s' "$sroot" >"$SCRATCH/roothash.txt"
openssl smime -verify -binary -inform der -in "$SCRATCH/signed.root/etc/initoverlayfs.roothash.p7s" \
	-content "$SCRATCH/roothash.txt" -certfile "$SCRATCH/sign.crt" -CAfile "$SCRATCH/sign.crt" -noverify >/dev/null 2>&1 ||
	boot_fail "the signature in the mini initramfs does not verify over the root hash"
signed_img=$(pair_image "$SCRATCH/signed" "$K612_VER")
disk_with signed "$signed_img" "$(basename "$signed_img")"
shown=$(re_escape "/boot/$(basename "$signed_img")")
pair_boot "$K612_KERNEL" "$SCRATCH/signed/initramfs-$K612_VER.img" "$SCRATCH/signed.disk" "$SCRATCH/signed.log"
expect_failure "$SCRATCH/signed.log" \
	"initoverlayfs: dm-verity table for $shown: the kernel did not accept the root hash signature /etc/initoverlayfs\.roothash\.p7s .*: Required key not available \(errno=126\)" "untrusted signature"
console_expect "$SCRATCH/signed.log" "device-mapper: table: [0-9]+:[0-9]+: verity: Root hash verification failed" "kernel checked the signature"
echo "PASS: $BOOT_TEST_NAME"
