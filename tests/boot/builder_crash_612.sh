#!/usr/bin/env bash
# A crash at any moment of the builder's commit leaves a matching pair
# (issue 11, item 6). A pair is built from payload A; then the builder
# rebuilds from payload B and is killed by SIGKILL (the test seam
# INITOVERLAYFS_TEST_CRASH_AFTER) right after the new image is renamed into
# place, and once more right after the new mini initramfs is. Each time the
# mini initramfs in the output directory names an image that is there and
# carries that image's UUID, and the pair boots to the payload's init: A's
# after the first crash, B's after the second. The next build removes the
# images nothing names any more. The same with --uki, whose UKI is renamed
# after the mini initramfs (no boots for that part).
. "$(dirname "$0")/lib/setup.sh"
uuid=$(cat /proc/sys/kernel/random/uuid)
out=$SCRATCH/out
mkdir -p "$out"
mini=$out/initramfs-$K612_VER.img
pair_payload "$SCRATCH/a"
cp -a "$SCRATCH/a" "$SCRATCH/b"
echo "payload-b-$RANDOM$RANDOM" >"$SCRATCH/b/etc/payload-token"

build() { # PAYLOAD [NAME=VALUE...]: the builder's exit status
	local payload=$1
	shift
	local rc=0
	env "$@" "$BUILDER" -f --kver "$K612_VER" --moddir "$K612_MODDIR" --output-dir "$out" \
		--rootdir "$payload" --bootfs "UUID=$uuid" --bootfstype ext4 \
		--set onfailure=poweroff --set timeout=20s >"$SCRATCH/build.out" 2>&1 || rc=$?
	return "$rc"
}
conf_value() { # KEY: its value in the mini initramfs's config
	zstd -dcq "$mini" | cpio -i --to-stdout --quiet etc/initoverlayfs.conf | awk -v k="$1" '$1 == k { print $2 }'
}
images() { (cd "$out" && ls initoverlayfs-* 2>/dev/null | LC_ALL=C sort | tr '\n' ' '); }
# The mini initramfs names an image that is there, with that image's UUID;
# prints its name.
check_matching_pair() { # WHAT
	local named
	named=$(conf_value fs)
	[[ -n $named && -f $out/$named ]] || boot_fail "$1: the mini initramfs names '$named', not in $out ($(images))"
	[[ $(blkid -p -o value -s UUID "$out/$named") == "$(conf_value fs_uuid)" ]] ||
		boot_fail "$1: $named does not carry the UUID the mini initramfs expects"
	printf '%s\n' "$named"
}
boot_expecting() { # TAG TOKEN_FILE
	pair_disk "$out" "$SCRATCH/$1.disk" boot "$uuid"
	pair_boot "$K612_KERNEL" "$mini" "$SCRATCH/$1.disk" "$SCRATCH/$1.log"
	console_expect "$SCRATCH/$1.log" 'PAYLOAD-INIT-RAN pid=1 ' "$1: payload init ran"
	console_expect "$SCRATCH/$1.log" "PAYLOAD-TOKEN $(re_escape "$(cat "$2")")" "$1: the payload of the pair's own image"
}

build "$SCRATCH/a" || { cat "$SCRATCH/build.out" >&2; boot_fail "the first build failed"; }
image_a=$(check_matching_pair "first build")

# 1. Killed after the new image is renamed: the old pair, untouched, and
# the new image beside it, named by nothing.
rc=0
build "$SCRATCH/b" INITOVERLAYFS_TEST_CRASH_AFTER=image || rc=$?
[[ $rc == 137 ]] || { cat "$SCRATCH/build.out" >&2; boot_fail "crash after image: exit $rc, not SIGKILL's 137"; }
[[ $(check_matching_pair "crash after image") == "$image_a" ]] || boot_fail "crash after image: the mini initramfs no longer names $image_a"
n=$(images | wc -w)
[[ $n == 2 ]] || boot_fail "crash after image: expected the old and the new image, found: $(images)"
boot_expecting after-image "$SCRATCH/a/etc/payload-token"

# 2. Killed after the new mini initramfs is renamed: the new pair, the
# earlier images not removed yet.
rc=0
build "$SCRATCH/b" INITOVERLAYFS_TEST_CRASH_AFTER=mini-rename || rc=$?
[[ $rc == 137 ]] || { cat "$SCRATCH/build.out" >&2; boot_fail "crash after mini-rename: exit $rc, not SIGKILL's 137"; }
image_b=$(check_matching_pair "crash after mini-rename")
[[ $image_b != "$image_a" ]] || boot_fail "crash after mini-rename: the mini initramfs still names $image_a"
[[ -f $out/$image_a ]] || boot_fail "crash after mini-rename: the old image went before the new mini initramfs was durable"
boot_expecting after-mini "$SCRATCH/b/etc/payload-token"

# 3. The next build completes: its pair, and no other image left.
build "$SCRATCH/a" || { cat "$SCRATCH/build.out" >&2; boot_fail "the build after the crashes failed"; }
image_c=$(check_matching_pair "build after the crashes")
[[ $(images) == "$image_c " ]] || boot_fail "earlier images left after a complete build: $(images)"

# 4. With --uki (issue 15) the UKI is renamed right after the mini
# initramfs: killed between the two, the old UKI is left, and the image its
# .initrd names is still there; killed after the UKI's rename, it holds the
# new mini initramfs. (No boots: the UKI's own boot is boot.uki_secureboot_612.)
uki=$SCRATCH/esp/EFI/Linux/iofs-%k.efi
uki_file=$SCRATCH/esp/EFI/Linux/iofs-$K612_VER.efi
mkdir -p "$SCRATCH/esp/EFI/Linux"
uki_names() { # the image the UKI's mini initramfs names
	objcopy -O binary --only-section=.initrd "$uki_file" "$SCRATCH/uki.initrd" &&
		zstd -dcq "$SCRATCH/uki.initrd" | cpio -i --to-stdout --quiet etc/initoverlayfs.conf |
		awk '$1 == "fs" { print $2 }'
}
with_uki=(--uki "$uki" --uki-kernel "$K612_KERNEL" --uki-cmdline "console=ttyS0")
build_uki() { # PAYLOAD [NAME=VALUE...]
	local payload=$1 rc=0
	shift
	env "$@" "$BUILDER" -f --kver "$K612_VER" --moddir "$K612_MODDIR" --output-dir "$out" \
		--rootdir "$payload" --bootfs "UUID=$uuid" --bootfstype ext4 "${with_uki[@]}" \
		>"$SCRATCH/build.out" 2>&1 || rc=$?
	return "$rc"
}
build_uki "$SCRATCH/b" || { cat "$SCRATCH/build.out" >&2; boot_fail "the build with --uki failed"; }
image_d=$(check_matching_pair "build with --uki")
[[ $(uki_names) == "$image_d" ]] || boot_fail "the UKI names '$(uki_names)', not the mini initramfs's $image_d"
rc=0
build_uki "$SCRATCH/a" INITOVERLAYFS_TEST_CRASH_AFTER=mini-rename || rc=$?
[[ $rc == 137 ]] || { cat "$SCRATCH/build.out" >&2; boot_fail "--uki, crash after mini-rename: exit $rc"; }
[[ $(uki_names) == "$image_d" ]] || boot_fail "--uki, crash after mini-rename: the UKI changed before its rename"
[[ -f $out/$image_d ]] || boot_fail "--uki, crash after mini-rename: the old UKI's image $image_d is gone"
rc=0
build_uki "$SCRATCH/a" INITOVERLAYFS_TEST_CRASH_AFTER=uki-rename || rc=$?
[[ $rc == 137 ]] || { cat "$SCRATCH/build.out" >&2; boot_fail "--uki, crash after uki-rename: exit $rc"; }
image_e=$(check_matching_pair "--uki, crash after uki-rename")
[[ $(uki_names) == "$image_e" ]] || boot_fail "--uki, crash after uki-rename: the UKI names '$(uki_names)', not $image_e"
build_uki "$SCRATCH/b" || { cat "$SCRATCH/build.out" >&2; boot_fail "the build with --uki after the crashes failed"; }
image_f=$(check_matching_pair "--uki after the crashes")
[[ $(uki_names) == "$image_f" ]] || boot_fail "--uki after the crashes: the UKI names '$(uki_names)'"
[[ $(ls "$SCRATCH/esp/EFI/Linux") == "iofs-$K612_VER.efi" ]] ||
	boot_fail "--uki: left beside the UKI: $(ls "$SCRATCH/esp/EFI/Linux" | tr '\n' ' ')"
echo "PASS: $BOOT_TEST_NAME"
