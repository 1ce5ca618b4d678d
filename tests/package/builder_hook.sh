#!/usr/bin/env bash
# The builder as the hooks run it, on the real 6.12 modules, no VM:
#   - the host's defaults file (--config) is applied, the command line wins
#     over it, a malformed line is an error naming FILE:LINE, --no-config
#     ignores the file;
#   - a mini initramfs given as input is refused (exit 1) without --hook
#     and skipped (exit 0, files untouched) with --hook;
#   - --hook does nothing when the file says "hooks no" or INITOVERLAYFS=no.
. "$(dirname "$0")/../boot/lib/setup.sh"
pair_payload "$SCRATCH/payload"
out=$SCRATCH/out
mkdir -p "$out"
common=(--kver "$K612_VER" --moddir "$K612_MODDIR" --bootfs LABEL=x --bootfstype ext4
	--output-dir "$out")
mini=$out/initrd.img-$K612_VER
names=(--initramfs-name "initrd.img-$K612_VER" --image-name "initoverlayfs-$K612_VER.img")

# A distribution-like initramfs: the payload as a zstd cpio.
(cd "$SCRATCH/payload" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | zstd -q -19 -o "$SCRATCH/orig.img")
cp "$SCRATCH/orig.img" "$mini"

conf=$SCRATCH/install.conf
cat >"$conf" <<'CONF'
# test defaults
compression none
initramfs-compression gzip
set timeout=7
set onfailure=reboot
CONF

# The defaults apply; --compression on the command line wins.
"$BUILDER" --config "$conf" --hook -f "${common[@]}" "${names[@]}" --initramfs "$mini" \
	--compression lz4 >"$SCRATCH/first.out"
cat "$SCRATCH/first.out" >&2
image=$(pair_image "$out" "$K612_VER")
grep -q "(erofs, lz4)" "$SCRATCH/first.out" || boot_fail "command line did not win over the file"
grep -q "(gzip, " "$SCRATCH/first.out" || boot_fail "initramfs-compression from the file not applied"
gzip -dc "$mini" | cpio -i --to-stdout --quiet etc/initoverlayfs.conf >"$SCRATCH/mini.conf"
grep -qx "timeout 7000ms" "$SCRATCH/mini.conf" || boot_fail "set timeout=7 not applied: $(cat "$SCRATCH/mini.conf")"
grep -qx "onfailure reboot" "$SCRATCH/mini.conf" || boot_fail "set onfailure=reboot not applied"
gzip -dc "$mini" | cpio -i --to-stdout --quiet etc/initoverlayfs-install.made | grep -q "^initoverlayfs-install " ||
	boot_fail "no marker in the mini initramfs"
[[ $(blkid -o value -s TYPE "$image") == erofs ]] || boot_fail "image is not erofs"

# Converting our own output again: an error without --hook, a no-op with it.
before=$(sha256sum "$mini" "$image")
if out_text=$("$BUILDER" --no-config -f "${common[@]}" "${names[@]}" --initramfs "$mini" 2>&1); then
	boot_fail "converted a mini initramfs again"
fi
grep -q "error: input $mini is already a mini initramfs made by initoverlayfs-install" <<<"$out_text" ||
	boot_fail "unexpected message: $out_text"
out_text=$("$BUILDER" --config "$conf" --hook -f "${common[@]}" "${names[@]}" --initramfs "$mini" 2>&1) ||
	boot_fail "--hook on a mini initramfs failed: $out_text"
grep -q "$mini is already a mini initramfs made by initoverlayfs-install; nothing to do" <<<"$out_text" ||
	boot_fail "unexpected message: $out_text"
[[ $before == "$(sha256sum "$mini" "$image")" ]] || boot_fail "the pair changed on a second hook run"

# Hooks switched off: nothing is read or written, exit 0.
cp "$SCRATCH/orig.img" "$SCRATCH/orig2.img"
printf 'hooks no\n' >"$SCRATCH/off.conf"
out_text=$("$BUILDER" --config "$SCRATCH/off.conf" --hook -f "${common[@]}" --initramfs "$SCRATCH/orig2.img" \
	--initramfs-name off.img 2>&1) || boot_fail "hooks no: $out_text"
grep -q "hooks are switched off (hooks no in $SCRATCH/off.conf)" <<<"$out_text" || boot_fail "unexpected: $out_text"
[[ ! -e $out/off.img ]] || boot_fail "hooks no still wrote a file"
out_text=$(INITOVERLAYFS=no "$BUILDER" --config "$conf" --hook -f "${common[@]}" --initramfs "$SCRATCH/orig2.img" \
	--initramfs-name off.img 2>&1) || boot_fail "INITOVERLAYFS=no: $out_text"
grep -q "hooks are switched off (INITOVERLAYFS=no)" <<<"$out_text" || boot_fail "unexpected: $out_text"
[[ ! -e $out/off.img ]] || boot_fail "INITOVERLAYFS=no still wrote a file"

# A malformed defaults file: FILE:LINE, exit 1, even for hooks.
printf 'lowerfs erofs\ncompresion lz4\n' >"$SCRATCH/bad.conf"
rc=0
out_text=$("$BUILDER" --config "$SCRATCH/bad.conf" --hook -f "${common[@]}" --initramfs "$SCRATCH/orig2.img" 2>&1) || rc=$?
[[ $rc == 1 ]] || boot_fail "bad config: exit $rc"
grep -q "error: $SCRATCH/bad.conf:2: unknown key 'compresion'" <<<"$out_text" || boot_fail "unexpected: $out_text"
# --no-config: the bad file is not read.
"$BUILDER" --config "$SCRATCH/bad.conf" --no-config -f "${common[@]}" --initramfs "$SCRATCH/orig2.img" \
	--initramfs-name ok.img >/dev/null || boot_fail "--no-config still read the file"
# --config naming a missing file is an error.
if "$BUILDER" --config "$SCRATCH/missing.conf" -f "${common[@]}" --rootdir "$SCRATCH/payload" >/dev/null 2>&1; then
	boot_fail "a missing --config file was accepted"
fi
boot_log "PASS"
