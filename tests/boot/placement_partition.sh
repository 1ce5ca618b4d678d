#!/usr/bin/env bash
# --placement partition: the image written raw to a GPT partition of its
# own, found by PARTLABEL= among two (A/B slots, as embedded systems have
# them), mounted straight from the block device: no boot filesystem, so no
# ext4 module in the mini initramfs.
. "$(dirname "$0")/lib/setup.sh"
command -v sfdisk >/dev/null || boot_fail "sfdisk (util-linux) missing"
pair_payload "$SCRATCH/payload"
boot_one() { # KERNEL MODDIR KVER TAG
	local kernel=$1 moddir=$2 kver=$3 tag=$4
	pair_build "$moddir" "$kver" "$SCRATCH/$tag" --rootdir "$SCRATCH/payload" \
		--placement partition --bootfs PARTLABEL=iofs_b
	grep -q 'partition       PARTLABEL=iofs_b' "$SCRATCH/$tag.summary" || boot_fail "summary"
	! grep -Eq 'modules .*(ext4|jbd2|loop)' "$SCRATCH/$tag.summary" || boot_fail "boot filesystem or loop modules included"
	# GPT: slot A holds an older, different image; slot B the new one.
	local disk=$SCRATCH/$tag.disk
	truncate -s 64M "$disk"
	printf 'label: gpt\nsize=24MiB, name=iofs_a\nsize=24MiB, name=iofs_b\n' | sfdisk -q "$disk"
	local start
	start=$(sfdisk -J "$disk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][1]["start"])')
	dd if="$(pair_image "$SCRATCH/$tag" "$kver")" of="$disk" bs=512 seek="$start" conv=notrunc status=none
	local log=$SCRATCH/$tag.log rc=0
	QEMU_TIMEOUT=240 qemu_boot "$kernel" "$SCRATCH/$tag/initramfs-$kver.img" "$log" -- \
		-drive "file=$disk,format=raw,if=virtio" || rc=$?
	[[ $rc != 124 ]] || { console_dump "$log"; boot_fail "QEMU timed out"; }
	console_reject "$log" 'Kernel panic' "no kernel panic"
	console_expect "$log" 'initoverlayfs: device: PARTLABEL=iofs_b is /dev/vda2' "slot B found by PARTLABEL"
	console_expect "$log" 'initoverlayfs: mount: /dev/vda2 \(erofs, block device\)' "mounted from the partition"
	console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "payload init ran"
	console_expect "$log" "PAYLOAD-TOKEN $(cat "$SCRATCH/payload/etc/payload-token")" "payload files intact"
	console_expect "$log" 'PAYLOAD-STAGING 0 mounts' "staging mounts detached"
}
boot_one "$K612_KERNEL" "$K612_MODDIR" "$K612_VER" k612
boot_one "$K61_KERNEL" "$K61_MODDIR" "$K61_VER" k61
echo "PASS: $BOOT_TEST_NAME"
