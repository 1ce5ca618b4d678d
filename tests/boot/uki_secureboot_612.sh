#!/usr/bin/env bash
# Issue 15: a signed unified kernel image under UEFI Secure Boot, started
# by the firmware itself (OVMF's Secure Boot build with Debian's test
# "snakeoil" key enrolled as PK, KEK and db), no -kernel, no boot loader:
#   - initoverlayfs-install --verity --uki --uki-sign makes the UKI
#     (systemd-stub, the 6.12 kernel, the mini initramfs with the image's
#     root hash, the command line) signed with the db key; it boots with
#     Secure Boot enabled to the payload, with the embedded command line,
#     the image through dm-verity;
#   - the UKI with one byte changed in its mini initramfs is refused by
#     the firmware (Access Denied), and nothing of Linux runs;
#   - the same UKI without its signature, and signed by a key the firmware
#     does not trust, are refused the same way;
#   - the image's verity root hash is signed with the same db key
#     (--verity-sign): the kernel accepts the signature through its
#     platform keyring, which holds the firmware's db certificates;
#   - credentials on the ESP (*.cred in the UKI's .extra.d and in
#     \loader\credentials), which systemd-stub appends as /.extra to the
#     initrd, reach the image's init;
#   - started by systemd-boot (signed with the db key) from an entry whose
#     options say init=/bin/sh initoverlayfs.verity=0 initoverlayfs.fs=...,
#     the UKI still boots with its own signed command line.
# Five boots, about a minute and a half on two cores.
# The image stays a file on the ext4 boot disk, found by LABEL.
. "$(dirname "$0")/lib/setup.sh"
. "$(dirname "$0")/lib/secureboot.sh"
sb_setup
cert=$SB_CERT
payload=$SCRATCH/payload
pair_payload "$payload"
# What systemd-stub added to the initrd (its /.extra: credentials, system
# extensions), as the payload finds it in its root.
ln -sf busybox "$payload/bin/find"
ln -sf busybox "$payload/bin/sort"
sed -i '/^poweroff -f/i echo "PAYLOAD-EXTRA $(cd /.extra 2>/dev/null \&\& find . -type f | sort | tr "\\n" " ")"\
for f in /.extra/*credentials/*.cred; do [ -f "$f" ] \&\& echo "PAYLOAD-CRED $f $(cat "$f")"; done' "$payload/init"
grep -q PAYLOAD-EXTRA "$payload/init" || boot_fail "the payload does not print /.extra"
out=$SCRATCH/out
uki=$SCRATCH/esp-content/EFI/Linux/iofs-$K612_VER.efi
mkdir -p "${uki%/*}"
# no_timer_check: under TCG on a busy host, q35's timer check (the Secure
# Boot firmware needs q35 with SMM) fails at random and panics the kernel.
cmdline="console=ttyS0 panic=-1 no_timer_check"
pair_build "$K612_MODDIR" "$K612_VER" "$out" --rootdir "$payload" \
	--bootfs LABEL=iofsboot --bootfstype ext4 --verity \
	--verity-sign "$SB_DB_KEY,$cert" \
	--uki "$uki" --uki-kernel "$K612_KERNEL" --uki-cmdline "$cmdline" \
	--uki-sign "$SB_DB_KEY,$cert"
grep -qE "UKI +$(re_escape "$uki") .*signed with" "$out.summary" || boot_fail "the summary does not name the UKI"
sbverify --cert "$cert" "$uki" >/dev/null 2>&1 || boot_fail "sbverify does not accept the UKI with the db certificate"
sbverify --cert "$SB_OTHER_CERT" "$uki" >/dev/null 2>&1 && boot_fail "sbverify accepts the UKI with another certificate"
# What the UKI holds: the mini initramfs the builder wrote, byte for byte.
objcopy -O binary --only-section=.initrd "$uki" "$SCRATCH/embedded.img"
cmp -s "$SCRATCH/embedded.img" "$out/initramfs-$K612_VER.img" ||
	boot_fail "the UKI's .initrd is not the mini initramfs in $out"
objcopy -O binary --only-section=.cmdline "$uki" "$SCRATCH/embedded.cmdline"
[[ $(<"$SCRATCH/embedded.cmdline") == "$cmdline" ]] || boot_fail "the UKI's .cmdline is '$(<"$SCRATCH/embedded.cmdline")'"
# --inspect reads the UKI's mini initramfs and checks the image it names
# (beside the file, as the boot filesystem is not mounted here).
cp -- "$uki" "$out/iofs.efi"
"$BUILDER" --inspect "$out/iofs.efi" >"$SCRATCH/inspect.out" 2>&1 || { cat "$SCRATCH/inspect.out" >&2; boot_fail "--inspect of the UKI failed"; }
rm -f -- "$out/iofs.efi"
cat "$SCRATCH/inspect.out" >&2
grep -qE "unified kernel image, .*, kernel $(re_escape "$K612_VER")\$" "$SCRATCH/inspect.out" || boot_fail "--inspect does not see a UKI"
grep -qF "command line: $cmdline" "$SCRATCH/inspect.out" || boot_fail "--inspect does not show the UKI's command line"
grep -q "every block matches the root hash" "$SCRATCH/inspect.out" || boot_fail "--inspect did not verify the image"
grep -q "^result: OK" "$SCRATCH/inspect.out" || boot_fail "--inspect does not find the UKI's pair good"

boot_disk=$SCRATCH/boot.img
pair_disk "$out" "$boot_disk" iofsboot "$(cat /proc/sys/kernel/random/uuid)"

# uki_boot TAG EFI_FILE [QEMU_STOP_AT]: the firmware boots the disk whose
# ESP holds EFI_FILE as \EFI\BOOT\BOOTX64.EFI (the removable-media path,
# needing no boot entry), with fresh copies of the enrolled variables.
cred_value="cred-$RANDOM$RANDOM"
printf '%s' "$cred_value" >"$SCRATCH/uki.cred"
uki_boot() {
	sb_removable_esp "$SCRATCH/$1.esp" "$2" "$SCRATCH/uki.cred"
	sb_firmware_boot "$1" "$SCRATCH/$1.esp" "$boot_disk" "${3:-}"
}

# expect_refused TAG EFI_FILE: the firmware will not run it.
expect_refused() {
	uki_boot "$1" "$2" 'No bootable option or device was found'
	sb_expect_refused "$SCRATCH/$1.log" "$1"
}

uki_boot signed "$uki"
log=$SCRATCH/signed.log
console_reject "$log" 'Kernel panic' "signed: no kernel panic"
console_expect "$log" 'secureboot: Secure boot enabled' "signed: booted with Secure Boot enabled"
console_expect "$log" "Command line: $(re_escape "$cmdline")[[:space:]]*\$" "signed: the embedded command line"
console_expect "$log" 'initoverlayfs: verity: .* is checked by dm-verity as /dev/dm-0 .*root hash signature accepted by the kernel' \
	"signed: the image through dm-verity, its root hash signed with the db key (the kernel's platform keyring)"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "signed: payload init ran"
console_expect "$log" "PAYLOAD-TOKEN $(cat "$payload/etc/payload-token")" "signed: payload files intact"
# systemd-stub's credentials initrd (the .cred beside the UKI, in its
# .extra.d) reaches the image's init: the early-boot program carries /.extra.
console_expect "$log" 'initoverlayfs: extras: 1 files of systemd-stub.s /.extra carried into the new root' "signed: /.extra carried"
console_expect "$log" "PAYLOAD-CRED /.extra/credentials/iofs-test.cred $cred_value" "signed: the stub's credential in the new root"

# One byte of the mini initramfs inside the signed file, in its zstd data.
sb_flip_in_section "$uki" .initrd 4096 "$SCRATCH/flipped.efi"
expect_refused flipped "$SCRATCH/flipped.efi"

cp -- "$uki" "$SCRATCH/unsigned.efi"
sbattach --remove "$SCRATCH/unsigned.efi" >/dev/null || boot_fail "sbattach --remove"
expect_refused unsigned "$SCRATCH/unsigned.efi"
sbsign --key "$SB_OTHER_KEY" --cert "$SB_OTHER_CERT" --output "$SCRATCH/other.efi" \
	"$SCRATCH/unsigned.efi" 2>/dev/null || boot_fail "sbsign with the other key"
expect_refused other-key "$SCRATCH/other.efi"

# The command line from the boot loader: systemd-boot (signed with the db
# key, as a distribution's would be) starts the UKI from a type #1 entry
# whose options try to run a shell, turn verity off and mount another
# image. Under Secure Boot systemd-stub keeps its signed .cmdline.
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[[ -r $sdboot ]] || boot_fail "$sdboot missing (systemd-boot-efi)"
sbsign --key "$SB_DB_KEY" --cert "$cert" --output "$SCRATCH/sdboot.efi" "$sdboot" 2>/dev/null ||
	boot_fail "sbsign systemd-boot"
esp=$SCRATCH/loader.esp
mkfs.vfat -C -n ESP "$esp" 40960 >/dev/null || boot_fail "mkfs.vfat"
printf 'default iofs.conf\ntimeout 0\n' >"$SCRATCH/loader.conf"
override="console=ttyS0 panic=-1 no_timer_check init=/bin/sh initoverlayfs.verity=0 initoverlayfs.fs=/other.img"
printf 'title iofs\nefi /EFI/Linux/iofs.efi\noptions %s\n' "$override" >"$SCRATCH/iofs.conf"
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/Linux ::/loader ::/loader/entries &&
	mcopy -i "$esp" "$SCRATCH/sdboot.efi" ::/EFI/BOOT/BOOTX64.EFI &&
	mcopy -i "$esp" "$uki" ::/EFI/Linux/iofs.efi &&
	mcopy -i "$esp" "$SCRATCH/loader.conf" ::/loader/loader.conf &&
	mcopy -i "$esp" "$SCRATCH/iofs.conf" ::/loader/entries/iofs.conf &&
	mmd -i "$esp" ::/loader/credentials ::/EFI/Linux/iofs.efi.extra.d &&
	mcopy -i "$esp" "$SCRATCH/uki.cred" ::/loader/credentials/global.cred &&
	mcopy -i "$esp" "$SCRATCH/uki.cred" ::/EFI/Linux/iofs.efi.extra.d/local.cred || boot_fail "mtools could not fill the ESP"
sb_firmware_boot loader "$esp" "$boot_disk"
log=$SCRATCH/loader.log
console_expect "$log" 'secureboot: Secure boot enabled' "loader: Secure Boot enabled"
console_expect "$log" "Command line: $(re_escape "$cmdline")[[:space:]]*\$" "loader: the embedded command line, not the entry's"
console_reject "$log" 'init=/bin/sh|initoverlayfs.fs=/other.img' "loader: the entry's options reached nothing"
console_expect "$log" 'initoverlayfs: verity: .* is checked by dm-verity as /dev/dm-0' "loader: the image through dm-verity"
console_expect "$log" 'PAYLOAD-INIT-RAN pid=1 ' "loader: the image's init ran"
console_expect "$log" "PAYLOAD-EXTRA ./credentials/local.cred ./global_credentials/global.cred" \
	"loader: the UKI's and the ESP's global credentials in the new root"
boot_log "PASS"
