#!/usr/bin/env bash
# Issue 15 in systemd mode: a signed unified kernel image whose mini
# initramfs is dracut's, with systemd as its init and the early-boot
# program as pre-initoverlayfs.service, started by OVMF with Secure Boot
# enforced (Debian's snakeoil key as PK, KEK and db; lib/secureboot.sh):
#   - initoverlayfs-install --mode systemd --verity --verity-sign --uki
#     --uki-sign makes it; it boots with Secure Boot enabled and the
#     embedded command line, the image through dm-verity with its root
#     hash signature accepted by the kernel (the platform keyring holds
#     the db certificate), to the payload's init as PID 1;
#   - the credential beside the UKI (its .extra.d), which systemd-stub puts
#     in the initrd's /.extra, is in the new root's /.extra too, and the
#     mini initramfs's systemd (252) has imported it where it puts the
#     ESP's credentials, /run/credentials/@encrypted (they are not
#     authenticated, so only encrypted ones are meant to be used), which
#     the switch carries into the new root;
#   - one byte flipped in a file's data on the boot disk: that read fails
#     with EIO, the kernel logs the corrupted block, the other files read
#     intact;
#   - one byte changed in the UKI's .initrd: the firmware refuses it.
# Three boots, about a minute on two cores.
. "$(dirname "$0")/lib/setup.sh"
. "$(dirname "$0")/lib/secureboot.sh"
command -v dracut >/dev/null || boot_fail "dracut is not installed (scripts/install-deps.sh installs dracut-core)"
sb_setup

payload=$SCRATCH/payload
pair_payload "$payload"
for app in find sort sha256sum; do ln -sf busybox "$payload/bin/$app"; done
mkdir -p "$payload/data"
head -c 1048576 /dev/urandom >"$payload/data/a.bin"
seq 1 20000 >"$payload/data/c.txt"
# Before the payload's poweroff: what systemd-stub's extras left in the
# new root and in /run, and the data files read through dm-verity.
cat >"$SCRATCH/report" <<'REPORT'
echo "PAYLOAD-EXTRA $(cd /.extra 2>/dev/null && find . -type f | sort | tr '\n' ' ')"
for f in /.extra/credentials/*.cred; do [ -f "$f" ] && echo "PAYLOAD-CRED $f $(cat "$f")"; done
echo "PAYLOAD-RUNCREDS $(find /run/credentials -type f 2>/dev/null | sort | tr '\n' ' ')"
for f in /run/credentials/@encrypted/*; do [ -f "$f" ] && echo "PAYLOAD-RUNCRED $f $(cat "$f")"; done
for f in /data/*; do
	if out=$(sha256sum "$f" 2>&1); then echo "PAYLOAD-SUM $out"; else echo "PAYLOAD-READ-FAILED $f: $out"; fi
done
REPORT
sed -i "/^poweroff -f/e cat $SCRATCH/report" "$payload/init"
grep -q PAYLOAD-RUNCRED "$payload/init" || boot_fail "the payload does not print its credentials"

out=$SCRATCH/out
uki=$SCRATCH/iofs-$K612_VER.efi
cmdline="console=ttyS0 panic=-1 no_timer_check"
pair_build "$K612_MODDIR" "$K612_VER" "$out" --mode systemd --rootdir "$payload" \
	--bootfs LABEL=iofsboot --bootfstype ext4 --verity --set timeout=30s \
	--verity-sign "$SB_DB_KEY,$SB_CERT" \
	--uki "$uki" --uki-kernel "$K612_KERNEL" --uki-cmdline "$cmdline" --uki-sign "$SB_DB_KEY,$SB_CERT"
grep -qE "UKI +$(re_escape "$uki") .*signed with" "$out.summary" || boot_fail "the summary does not name the UKI"
sbverify --cert "$SB_CERT" "$uki" >/dev/null 2>&1 || boot_fail "sbverify does not accept the UKI with the db certificate"
objcopy -O binary --only-section=.initrd "$uki" "$SCRATCH/embedded.img"
cmp -s "$SCRATCH/embedded.img" "$out/initramfs-$K612_VER.img" ||
	boot_fail "the UKI's .initrd is not the mini initramfs in $out"
mkdir -p "$SCRATCH/unpacked"
(cd "$SCRATCH/unpacked" && zstd -dc "$SCRATCH/embedded.img" | cpio -id --quiet)
[[ $(readlink "$SCRATCH/unpacked/init") == */systemd ]] || boot_fail "/init of the UKI's mini initramfs is not systemd"
"$BUILDER" --inspect "$uki" >"$SCRATCH/inspect.out" 2>&1 || true
grep -qE "unified kernel image, .*, kernel $(re_escape "$K612_VER")\$" "$SCRATCH/inspect.out" ||
	{ cat "$SCRATCH/inspect.out" >&2; boot_fail "--inspect does not see a UKI"; }
grep -q 'systemd' "$SCRATCH/inspect.out" || boot_fail "--inspect does not see systemd mode"

image=$(pair_image "$out" "$K612_VER")
cred_value="cred-$RANDOM$RANDOM"
printf '%s' "$cred_value" >"$SCRATCH/uki.cred"
sb_removable_esp "$SCRATCH/uki.esp" "$uki" "$SCRATCH/uki.cred"

# 1. The verified boot.
pair_disk "$out" "$SCRATCH/boot.img" iofsboot "$(cat /proc/sys/kernel/random/uuid)"
sb_firmware_boot signed "$SCRATCH/uki.esp" "$SCRATCH/boot.img"
log=$SCRATCH/signed.log
console_reject "$log" 'Kernel panic' "signed: no kernel panic"
console_expect "$log" 'secureboot: Secure boot enabled' "signed: booted with Secure Boot enabled"
console_expect "$log" "Command line: $(re_escape "$cmdline")[[:space:]]*\$" "signed: the embedded command line"
console_expect "$log" 'systemd\[1\]: Running in initrd' "signed: systemd runs the mini initramfs"
console_expect "$log" 'initoverlayfs: initoverlayfs .* started [0-9]+ ms after boot \(systemd service mode\)' "signed: the service ran the program"
console_expect "$log" 'initoverlayfs: verity: .* is checked by dm-verity as /dev/dm-0 .*root hash signature accepted by the kernel' \
	"signed: the image through dm-verity, its root hash signed with the db key"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "signed: payload init ran as PID 1"
console_expect "$log" "PAYLOAD-TOKEN $(cat "$payload/etc/payload-token")" "signed: payload files intact"
console_expect "$log" 'initoverlayfs: extras: 1 files of systemd-stub.s /.extra carried into the new root' "signed: /.extra carried"
console_expect "$log" "PAYLOAD-CRED /.extra/credentials/iofs-test.cred $cred_value" "signed: the stub's credential in the new root's /.extra"
console_expect "$log" "PAYLOAD-RUNCRED /run/credentials/@encrypted/iofs-test $cred_value" \
	"signed: the credential imported by the initrd's systemd, in /run/credentials/@encrypted"
for f in a.bin c.txt; do
	console_expect "$log" "PAYLOAD-SUM $(sha256sum "$payload/data/$f" | cut -d' ' -f1)  /data/$f" "signed: /data/$f intact"
done

# 2. One flipped byte in a.bin's data on the boot disk.
cp -- "$image" "$SCRATCH/flipped.img"
a_byte=$(pair_image_offset "$image" "$payload/data/a.bin" 300000)
flip_byte "$SCRATCH/flipped.img" "$a_byte"
mkdir -p "$SCRATCH/flipped.content"
cp -- "$SCRATCH/flipped.img" "$SCRATCH/flipped.content/$(basename "$image")"
pair_disk "$SCRATCH/flipped.content" "$SCRATCH/flipped.disk" iofsboot "$(cat /proc/sys/kernel/random/uuid)"
sb_firmware_boot flipped "$SCRATCH/uki.esp" "$SCRATCH/flipped.disk"
log=$SCRATCH/flipped.log
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "flipped: payload init ran"
console_expect "$log" "PAYLOAD-READ-FAILED /data/a.bin: .*Input/output error" "flipped: /data/a.bin read fails with EIO"
console_reject "$log" "PAYLOAD-SUM [0-9a-f]+  /data/a.bin" "flipped: no bytes of the corrupted /data/a.bin reach the payload"
console_expect "$log" "device-mapper: verity: [0-9]+:[0-9]+: data block $((a_byte / 4096)) is corrupted" "flipped: the kernel logs the corrupted block"
console_expect "$log" "PAYLOAD-SUM $(sha256sum "$payload/data/c.txt" | cut -d' ' -f1)  /data/c.txt" "flipped: /data/c.txt intact"

# 3. The UKI changed after signing: the firmware refuses it.
sb_flip_in_section "$uki" .initrd 4096 "$SCRATCH/changed.efi"
sb_removable_esp "$SCRATCH/changed.esp" "$SCRATCH/changed.efi"
sb_firmware_boot changed "$SCRATCH/changed.esp" "$SCRATCH/boot.img" 'No bootable option or device was found'
sb_expect_refused "$SCRATCH/changed.log" changed
boot_log "PASS"
