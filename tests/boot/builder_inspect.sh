#!/usr/bin/env bash
# initoverlayfs-install --inspect (issue 14) on pairs the builder made from
# the real 6.12 modules, without a VM: a good pair (exit 0, its versions,
# configuration, modules and image), the image missing, another validly
# built image in its place, the image cut short (exit 1 each, saying which),
# the image inside the initrd, a verity pair whose hash tree matches and
# then one byte of its data flipped, a classic initramfs (exit 3), and a
# systemd-mode mini initramfs: it carries the builder's marker, so --inspect
# knows it and a hook does not convert it again.
. "$(dirname "$0")/lib/setup.sh"
pair_payload "$SCRATCH/payload"
common=(--kver "$K612_VER" --moddir "$K612_MODDIR" --rootdir "$SCRATCH/payload"
	--bootfs LABEL=x --bootfstype ext4)
mini=initramfs-$K612_VER.img

# inspect WANT_STATUS FILE: runs --inspect, checks its exit status, leaves
# the report in $report.
inspect() {
	local want=$1 file=$2 rc=0
	report=$("$BUILDER" --inspect "$file" 2>&1) || rc=$?
	[[ $rc == "$want" ]] || { printf '%s\n' "$report" >&2; boot_fail "--inspect $file: exit status $rc, not $want"; }
}
# q TEXT: TEXT as an ERE matching itself (kernel versions have "+").
q() { sed 's/[][\\.*^$+?(){}|]/\\&/g' <<<"$1"; }
expect() { grep -qE -- "$1" <<<"$report" || { printf '%s\n' "$report" >&2; boot_fail "--inspect: no line matching /$1/ ($2)"; }; }

mkdir -p "$SCRATCH/a" "$SCRATCH/b"
"$BUILDER" "${common[@]}" --output-dir "$SCRATCH/a" >/dev/null
image=$(pair_image "$SCRATCH/a" "$K612_VER")
uuid=$(blkid -p -o value -s UUID "$image")
version=$("$BUILDER" --version | cut -d' ' -f2)
inspect 0 "$SCRATCH/a/$mini"
expect "^$(q "$SCRATCH/a/$mini"): mini initramfs, made by initoverlayfs-install $version\$" "the builder's version"
expect "^early-boot program: initoverlayfs $version, x86-64, static\$" "the program's version, read from the file"
expect "^  mode init: the early-boot program is /init\$" "init mode"
expect "^  bootfs LABEL=x\$" "the configuration"
expect "^  fs_uuid $uuid\$" "the image's UUID in the configuration"
expect "^  at start \([0-9]+\): .*\berofs\b.*\boverlay\b" "the modules loaded at start"
expect "^  as dependencies \([0-9]+\): .*\bjbd2\b" "their dependencies"
expect "^  on demand, for a device present \([0-9]+\): .*\bvirtio_blk\b" "the storage drivers"
expect "^image: $(q "$image") \(.* on LABEL=x\)\$" "where the image is"
expect "^  present: .* MiB; EROFS, UUID $uuid; as long as its superblock says\$" "the image's facts"
expect "^result: OK: " "the verdict"
boot_log "good pair: $(tail -n 1 <<<"$report")"

# Missing.
mv "$image" "$image.away"
inspect 1 "$SCRATCH/a/$mini"
expect "^result: PROBLEM: the image is missing: no $(q "$image"); this pair does not boot" "missing image"
mv "$image.away" "$image"

# Another image, validly built, under the expected name (e.g. copied from
# another machine, or an interrupted manual repair).
echo other >"$SCRATCH/payload/etc/other"
"$BUILDER" "${common[@]}" --output-dir "$SCRATCH/b" >/dev/null
other=$(pair_image "$SCRATCH/b" "$K612_VER")
cp "$image" "$image.good"
cp "$other" "$image"
inspect 1 "$SCRATCH/a/$mini"
expect "^result: PROBLEM: its EROFS UUID is $(blkid -p -o value -s UUID "$other"), the mini initramfs expects $uuid: it is another image" "another image"

# Cut short (a power cut while it was copied).
head -c $(($(stat -c %s "$image.good") / 2)) "$image.good" >"$image"
inspect 1 "$SCRATCH/a/$mini"
expect "^result: PROBLEM: it is cut short: [0-9]+ bytes of EROFS data, its superblock says [0-9]+\$" "truncated image"
mv "$image.good" "$image"
inspect 0 "$SCRATCH/a/$mini"

# The image inside the initrd.
mkdir -p "$SCRATCH/c"
"$BUILDER" "${common[@]}" --output-dir "$SCRATCH/c" --placement initrd >/dev/null
inspect 0 "$SCRATCH/c/$mini"
expect "^image: inside this file, as /initoverlayfs-" "image inside"
expect "^result: OK: " "image inside matches"

# Verity: veritysetup verify over the whole image, then one flipped byte of
# its data.
mkdir -p "$SCRATCH/v"
"$BUILDER" "${common[@]}" --output-dir "$SCRATCH/v" --verity >/dev/null
vimage=$(pair_image "$SCRATCH/v" "$K612_VER")
inspect 0 "$SCRATCH/v/$mini"
expect "^verity: root hash [0-9a-f]{64} \(not signed\), on corruption eio\$" "the root hash"
expect "^  verity: every block matches the root hash \(veritysetup verify\)\$" "verified block by block"
printf '\xff' | dd of="$vimage" bs=1 seek=8192 conv=notrunc status=none
inspect 1 "$SCRATCH/v/$mini"
expect "^result: PROBLEM: veritysetup verify: the hash tree does not give the configured root hash" "a flipped byte"

# A classic initramfs.
(cd "$SCRATCH/payload" && find . | cpio -o -H newc --quiet | zstd -q) >"$SCRATCH/classic.img"
inspect 3 "$SCRATCH/classic.img"
expect "^$(q "$SCRATCH/classic.img"): not a mini initramfs \(no /etc/initoverlayfs-install.made\): a classic initramfs, zstd" "classic"
inspect 1 "$SCRATCH/no-such-file"

# Systemd mode: the marker is there (it was not before 0.1.0's fix: a hook
# would have converted the mini initramfs again).
command -v dracut >/dev/null || boot_fail "dracut missing (bash scripts/install-deps.sh)"
mkdir -p "$SCRATCH/s" "$SCRATCH/s2"
"$BUILDER" "${common[@]}" --output-dir "$SCRATCH/s" --mode systemd >/dev/null
inspect 0 "$SCRATCH/s/$mini"
expect "^  mode systemd: the early-boot program is /usr/sbin/initoverlayfs" "systemd mode"
expect "^early-boot program: initoverlayfs $version, x86-64, static\$" "the service's program"
out=$("$BUILDER" --hook -f --kver "$K612_VER" --moddir "$K612_MODDIR" --initramfs "$SCRATCH/s/$mini" \
	--bootfs LABEL=x --bootfstype ext4 --output-dir "$SCRATCH/s2" 2>&1) ||
	boot_fail "--hook on a systemd-mode mini initramfs failed: $out"
grep -q "is already a mini initramfs made by" <<<"$out" ||
	boot_fail "--hook converted a systemd-mode mini initramfs again: $out"
[[ -z $(ls "$SCRATCH/s2") ]] || boot_fail "--hook wrote files for a mini initramfs: $(ls "$SCRATCH/s2")"
echo "PASS: $BOOT_TEST_NAME"
