# shellcheck shell=bash
# UEFI Secure Boot in QEMU for the boot tests (issue 15), sourced after
# lib/setup.sh: OVMF's Secure Boot build on q35 with SMM, and Debian's test
# ("snakeoil") key enrolled as PK, KEK and db in the variables it ships.
#
# sb_setup: checks the tools and files, then sets
#   SB_DB_KEY   the db key without its passphrase ("snakeoil", ovmf's
#               README.Debian), as sbsign and the builder read it unattended
#   SB_CERT     its certificate
#   SB_OTHER_KEY, SB_OTHER_CERT  a key of nobody's (an attacker's)
#   SB_STUB     Debian's systemd-stub
SB_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
SB_VARS=/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd
SB_STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
SB_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
sb_setup() {
	local tool f
	for tool in sbsign sbattach sbverify objcopy openssl mkfs.vfat mcopy veritysetup; do
		command -v "$tool" >/dev/null || boot_fail "$tool missing (bash scripts/install-deps.sh)"
	done
	for f in "$SB_CODE" "$SB_VARS" /usr/share/ovmf/PkKek-1-snakeoil.key "$SB_CERT" "$SB_STUB"; do
		[[ -r $f ]] || boot_fail "$f missing (ovmf, systemd-boot-efi: bash scripts/install-deps.sh)"
	done
	SB_DB_KEY=$SCRATCH/db.key
	openssl rsa -in /usr/share/ovmf/PkKek-1-snakeoil.key -passin pass:snakeoil \
		-out "$SB_DB_KEY" 2>/dev/null || boot_fail "cannot read the snakeoil key"
	SB_OTHER_KEY=$SCRATCH/other.key SB_OTHER_CERT=$SCRATCH/other.pem
	openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=not in db" -days 1 \
		-keyout "$SB_OTHER_KEY" -out "$SB_OTHER_CERT" 2>/dev/null || boot_fail "openssl req"
}

# sb_qemu_firmware VARS: SB_QEMU, QEMU's options for OVMF's Secure Boot
# build on q35 with SMM, VARS its (writable) variables file.
sb_qemu_firmware() {
	# shellcheck disable=SC2054 # the commas are part of the option values
	SB_QEMU=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$SB_CODE"
		-drive "if=pflash,format=raw,unit=1,file=$1")
}

# sb_firmware_boot TAG ESP BOOT_DISK [QEMU_STOP_AT]: OVMF with Secure Boot
# enforced and a fresh copy of the enrolled variables boots the ESP (first
# disk) with BOOT_DISK beside it; the console goes to $SCRATCH/TAG.log.
sb_firmware_boot() {
	local tag=$1 esp=$2 disk=$3 stop=${4:-} rc=0
	cp -- "$SB_VARS" "$SCRATCH/$tag.vars"
	sb_qemu_firmware "$SCRATCH/$tag.vars"
	QEMU_STOP_AT=$stop QEMU_TIMEOUT=${SB_TIMEOUT:-420} qemu_boot "" "" "$SCRATCH/$tag.log" -- "${SB_QEMU[@]}" \
		-drive "file=$esp,format=raw,if=virtio" -drive "file=$disk,format=raw,if=virtio" || rc=$?
	[[ $rc != 124 ]] || { console_dump "$SCRATCH/$tag.log"; boot_fail "$tag: QEMU timed out"; }
	boot_log "$tag: ${QEMU_BOOT_WALL} s wall"
}

# sb_removable_esp ESP EFI_FILE [CRED_FILE]: a new 40 MiB ESP holding
# EFI_FILE as \EFI\BOOT\BOOTX64.EFI (the removable-media path, needing no
# boot entry) and CRED_FILE, if given, as iofs-test.cred in its .extra.d
# (systemd-stub's per-UKI credentials).
sb_removable_esp() {
	local esp=$1 efi=$2 cred=${3:-}
	rm -f -- "$esp"
	mkfs.vfat -C -n ESP "$esp" 40960 >/dev/null || boot_fail "mkfs.vfat"
	mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/BOOT/BOOTX64.EFI.extra.d &&
		mcopy -i "$esp" "$efi" ::/EFI/BOOT/BOOTX64.EFI || boot_fail "mtools could not fill the ESP"
	[[ -z $cred ]] || mcopy -i "$esp" "$cred" ::/EFI/BOOT/BOOTX64.EFI.extra.d/iofs-test.cred ||
		boot_fail "mtools could not copy the credential"
}

# sb_expect_refused LOG WHAT: the firmware would not start the file.
sb_expect_refused() {
	console_expect "$1" 'BdsDxe: failed to load Boot[0-9A-F]+ .*: Access Denied' "$2: the firmware refuses it"
	console_reject "$1" 'Linux version' "$2: no kernel started"
	console_reject "$1" 'initoverlayfs' "$2: nothing of the mini initramfs ran"
}

# sb_flip_in_section EFI SECTION OFFSET OUT: OUT is EFI with one byte
# changed OFFSET bytes into SECTION's file data (after the signature was
# made: the firmware must refuse it).
sb_flip_in_section() {
	local efi=$1 section=$2 off=$3 out=$4 at byte
	cp -- "$efi" "$out"
	at=$(objdump -h "$efi" | awk -v s="$section" '$2 == s { print $6 }')
	[[ $at =~ ^[0-9a-f]+$ ]] || boot_fail "no $section section in objdump -h of $efi"
	at=$((16#$at + off))
	byte=$(od -An -tu1 -j "$at" -N1 "$efi" | tr -d ' ')
	printf "\\$(printf '%03o' $(((byte + 1) % 256)))" | dd of="$out" bs=1 seek="$at" conv=notrunc status=none
	cmp -s "$efi" "$out" && boot_fail "the byte in $section did not change"
	return 0
}
