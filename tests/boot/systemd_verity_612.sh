#!/usr/bin/env bash
# dm-verity and the image inside the initrd in systemd mode (issue 15, item 5): --mode systemd --verity on
# 6.12. dracut's mini initramfs carries dm-verity; pre-initoverlayfs.service
# mounts the image through it (dm-mod loaded by the kernel for the static
# /dev/mapper/control node, dm-verity for the table's target) and systemd
# switches root to the payload's /init. The command line's attempts to
# turn verity off or mount another file are refused. Then the attack of
# replacing the image by another, validly built one (the same file name,
# another tree): its blocks do not hash to the root hash in the mini
# initramfs, so the mount is refused, the unit fails and the failure
# action powers off. Last, --placement initrd in systemd mode with verity:
# the image appended after dracut's archive, no disk. Three boots, about
# 1.5 minutes.
. "$(dirname "$0")/lib/setup.sh"
command -v dracut >/dev/null || boot_fail "dracut is not installed (scripts/install-deps.sh installs dracut-core)"
command -v veritysetup >/dev/null || boot_fail "veritysetup is not installed (cryptsetup-bin)"
pair_payload "$SCRATCH/payload"
# SOURCE_DATE_EPOCH: both builds get the same image UUID (and so the same
# file name), as an attacker would make theirs, leaving the root hash the
# only thing that tells the images apart.
build_into() { # OUTDIR PAYLOAD
	SOURCE_DATE_EPOCH=1700000000 pair_build "$K612_MODDIR" "$K612_VER" "$1" --mode systemd --rootdir "$2" \
		--bootfs LABEL=iofsboot --bootfstype ext4 --verity --set timeout=20s
}
build_into "$SCRATCH/out" "$SCRATCH/payload"
mini=$SCRATCH/out/initramfs-$K612_VER.img
image_path=$(pair_image "$SCRATCH/out" "$K612_VER")
image=$(re_escape "$(basename "$image_path")")

mkdir -p "$SCRATCH/unpacked"
(cd "$SCRATCH/unpacked" && zstd -dc "$mini" | cpio -id --quiet)
[[ $(readlink "$SCRATCH/unpacked/init") == */systemd ]] || boot_fail "/init of the mini initramfs is not systemd"
[[ -n $(find "$SCRATCH/unpacked" -name 'dm-verity.ko*') ]] || boot_fail "dm-verity is not in the mini initramfs"
grep -q '^verity 1' "$SCRATCH/unpacked/etc/initoverlayfs.conf" || boot_fail "the config does not require verity"

# 1. The verified boot, with the command line trying to get around it.
pair_disk "$SCRATCH/out" "$SCRATCH/disk.img" iofsboot "$(cat /proc/sys/kernel/random/uuid)"
log=$SCRATCH/console.log
QEMU_TIMEOUT=400 pair_boot "$K612_KERNEL" "$mini" "$SCRATCH/disk.img" "$log" \
	initoverlayfs.verity=0 initoverlayfs.fs=/other.img
console_expect "$log" 'initoverlayfs: initoverlayfs .* started [0-9]+ ms after boot \(systemd service mode\)' "the service started the program"
for k in verity fs; do
	console_expect "$log" "initoverlayfs: kernel command line: initoverlayfs\\.$k: refused: the configuration requires dm-verity" "override of $k refused"
done
console_expect "$log" "initoverlayfs: verity: /boot/$image is checked by dm-verity as /dev/dm-0 \\(sha256" "the image through dm-verity"
console_expect "$log" "initoverlayfs: mount: /boot/$image \\(erofs, dm-verity /dev/dm-0 over loop device /dev/loop[0-9]+\\) under a volatile tmpfs overlay at /sysroot" "mounted from the verity device"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "payload init ran as PID 1"
console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "payload files intact"
console_expect "$log" 'reboot: Power down' "clean poweroff"

# 2. Another validly built image under the same name: refused.
cp -a "$SCRATCH/payload" "$SCRATCH/other-payload"
echo "other-$RANDOM$RANDOM" >"$SCRATCH/other-payload/etc/payload-token"
build_into "$SCRATCH/other" "$SCRATCH/other-payload"
mkdir -p "$SCRATCH/swapped"
other_image=$(pair_image "$SCRATCH/other" "$K612_VER")
[[ $(basename "$other_image") == "$(basename "$image_path")" ]] || boot_fail "the other build's image has another name"
[[ $(blkid -p -o value -s UUID "$other_image") == "$(blkid -p -o value -s UUID "$image_path")" ]] ||
	boot_fail "the other build's image has another UUID"
cmp -s "$other_image" "$image_path" && boot_fail "the other build's image is the same"
cp -- "$other_image" "$SCRATCH/swapped/"
pair_disk "$SCRATCH/swapped" "$SCRATCH/swapped.img" iofsboot "$(cat /proc/sys/kernel/random/uuid)"
log=$SCRATCH/swapped.log
QEMU_TIMEOUT=400 pair_boot "$K612_KERNEL" "$mini" "$SCRATCH/swapped.img" "$log"
console_expect "$log" "initoverlayfs: cannot mount /boot/$image through dm-verity \(erofs\): Input/output error" "the swapped image is refused by dm-verity"
console_expect "$log" "initoverlayfs: failed; pre-initoverlayfs.service fails" "the service fails"
console_expect "$log" 'reboot: Power down' "FailureAction=poweroff powered off"
console_reject "$log" 'PAYLOAD-INIT-RAN' "the other image's init must not run"

# 3. --placement initrd in systemd mode, with verity: the image appended
# after dracut's archive as a cpio of its own, no disk at all.
pair_build "$K612_MODDIR" "$K612_VER" "$SCRATCH/inrd" --mode systemd --rootdir "$SCRATCH/payload" \
	--placement initrd --verity
[[ -z $(find "$SCRATCH/inrd" -name 'initoverlayfs-*') ]] || boot_fail "initrd placement: a separate image was written"
"$BUILDER" --inspect "$SCRATCH/inrd/initramfs-$K612_VER.img" >"$SCRATCH/inrd.inspect" 2>&1 ||
	{ cat "$SCRATCH/inrd.inspect" >&2; boot_fail "initrd placement: --inspect does not find the pair good"; }
grep -q 'systemd' "$SCRATCH/inrd.inspect" || boot_fail "initrd placement: --inspect does not see systemd mode"
log=$SCRATCH/inrd.log
rc=0
QEMU_TIMEOUT=400 qemu_boot "$K612_KERNEL" "$SCRATCH/inrd/initramfs-$K612_VER.img" "$log" || rc=$?
[[ $rc != 124 ]] || { console_dump "$log"; boot_fail "initrd placement: QEMU timed out"; }
console_reject "$log" 'Kernel panic' "initrd placement: no kernel panic"
console_expect "$log" 'systemd\[1\]: Running in initrd' "initrd placement: systemd runs the mini initramfs"
console_expect "$log" "initoverlayfs: mount: initramfs:/initoverlayfs-$(re_escape "$K612_VER").img \(erofs, dm-verity /dev/dm-0 over loop device /dev/loop[0-9]+\) under a volatile tmpfs overlay at /sysroot" \
	"initrd placement: the image from the initramfs through dm-verity"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "initrd placement: payload init ran as PID 1"
console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "initrd placement: payload files intact"
echo "PASS: $BOOT_TEST_NAME"
