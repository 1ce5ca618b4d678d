#!/usr/bin/env bash
# Issue 14: an installed Debian 12 machine started by its own firmware and
# bootloader, no QEMU -kernel/-initrd, through the package's whole life:
#   grub    a GPT disk (BIOS boot partition, /boot ext4, root ext4) with
#           grub-pc, booted by SeaBIOS;
#   sdboot  a GPT disk (the EFI system partition, vfat, mounted as /boot;
#           root ext4) booted by OVMF, systemd-boot installed by its
#           package at the first boot: Boot Loader Specification entries
#           through kernel-install (/boot/loader/entries, the mini
#           initramfs copied to /boot/ENTRY-TOKEN/KVER/);
#   sdboot-xbootldr  the same with /boot on an Extended Boot Loader
#           partition (XBOOTLDR, vfat) and the ESP at /boot/efi, as
#           systemd-boot users have it when the ESP is too small: the
#           entries, kernels and the pair on XBOOTLDR, systemd-boot on the
#           ESP;
#   sdboot-secureboot  the sdboot disk with the chain of issue 15: the
#           db key (Debian's snakeoil test key, what OVMF's
#           OVMF_VARS_4M.snakeoil.fd has enrolled) in /etc/initoverlayfs,
#           systemd-boot signed with it (systemd-bootx64.efi.signed, which
#           bootctl installs instead of the unsigned file), and install.conf
#           making each kernel's pair with --verity-sign and a signed UKI
#           (uki /boot/EFI/Linux/debian-%k.efi, uki-sign), the default
#           entry of loader.conf; the installer's boot with Secure Boot off,
#           every later one with OVMF's Secure Boot firmware and the key
#           enrolled (standing for the owner enrolling their key and
#           turning Secure Boot on). The purge keeps each UKI's image (the
#           firmware starts nothing else: the kernels of the type #1
#           entries are not signed with the db key), so boot 5 is the UKI again;
# with initramfs-tools (host-only: everything runs on the guest, under TCG)
# and the .deb installed. Five boots, each one step of
# guest/iofs-firmware-step, the first one playing the installer:
#   1 (-kernel, classic)   the bootloader installed (grub-install, or the
#                          systemd-boot package), update-initramfs -u (the
#                          hook converts), update-grub
#   2 firmware: KVER       the converted pair; sdboot: update-initramfs -u
#                          again (the entry's copy of the old mini initramfs
#                          keeps its image until kernel-install has copied
#                          the new one, then --prune removes it); a second
#                          kernel package, NEWKVER, installed (its hooks
#                          convert it, add its entry)
#   3 firmware: TOP        the default entry: the newer of the two kernels
#                          (NEWKVER, or KVER when the suite serves no 6.12
#                          newer than KVER and NEWKVER is the one before it);
#                          the other one's entry picked for one boot
#   4 firmware: OTHER      that entry; the package purged
#   5 firmware: TOP        classic again
# Every firmware boot must reach multi-user with no failed unit; the menu
# entry that booted (grub.cfg's entry for this kernel command line;
# systemd-boot's LoaderEntrySelected) must name the initramfs file that
# --inspect finds to be a good mini initramfs with its image (boots 2-4)
# or, after the purge, a classic one.
# SYSTEM_FIRMWARE_REDUCED=1 (the suite's reduced form, what CI runs; not
# with IOFS_FULL=1): no kernel update and no previous kernel, so three
# boots, all with KVER: 1, then 2 with boot 4's purge, then 5; the kernel
# update through the hooks is system.deb_kernel_*'s; sdboot-secureboot
# leaves out boot 2's second update-initramfs too (sdboot's check).
# Usage: deb_firmware.sh grub|sdboot|sdboot-xbootldr|sdboot-secureboot [PATH/TO/initoverlayfs_*.deb]
# (default package: the newest in $IOFS_DEB_DIR, as deb_kernel.sh).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../boot/lib/common.sh"
. "$here/../boot/lib/kernels.sh"
. "$here/../boot/lib/qemu.sh"
. "$here/../boot/lib/secureboot.sh"
. "$here/lib/system.sh"
. "$here/lib/check.sh"
boot_test_init
[[ $(id -u) == 0 ]] || boot_skip "needs root"
loader=${1:-}
[[ $loader =~ ^(grub|sdboot|sdboot-xbootldr|sdboot-secureboot)$ ]] ||
	boot_fail "usage: $0 grub|sdboot|sdboot-xbootldr|sdboot-secureboot [DEB]"
sb=0
[[ $loader == sdboot-secureboot ]] && sb=1
# The ESP of sdboot-xbootldr, at /boot/efi: its volume serial and fstab's
# UUID for it.
esp_serial=7A1E5C02 esp_uuid=7A1E-5C02
BOOT_TEST_NAME+=" $loader"
deb=""  # set by system_deb_test_setup
system_deb_test_setup "${2:-}"
kver=$SYSTEM_KVER
variant=initramfs-tools-dep
reduced=0
[[ ${SYSTEM_FIRMWARE_REDUCED:-0} == 1 && ${IOFS_FULL:-0} != 1 ]] && reduced=1

root=$SCRATCH/rootdir
system_root_copy "$variant" "$root" || boot_fail "system_root_copy failed"
apt_log=$SCRATCH/apt.log
: >"$apt_log"
sys_apt() { _sys_apt "$root" "$@" >>"$apt_log" 2>&1 || { cat "$apt_log" >&2; boot_fail "apt-get $* failed"; }; }
case $loader in
grub)
	# As the installer leaves it: grub-pc installed, its install device
	# chosen at the first boot (grub-install below).
	printf '%s\n' 'grub-pc grub-pc/install_devices multiselect' 'grub-pc grub-pc/install_devices_empty boolean true' |
		system_chroot "$root" debconf-set-selections
	sys_apt install --no-install-recommends grub-pc
	# The menu and the kernel on the serial console; no "quiet" (the
	# checks read the kernel's lines); a one-second menu; "saved", which
	# grub-reboot needs.
	sed -i -e 's/^GRUB_DEFAULT=.*/GRUB_DEFAULT=saved/' -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=1/' \
		-e 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT=""/' \
		-e 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="console=ttyS0 panic=-1"/' "$root/etc/default/grub"
	printf '%s\n' 'GRUB_TERMINAL=serial' 'GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"' \
		'GRUB_DISABLE_OS_PROBER=true' >>"$root/etc/default/grub"
	;;
sdboot*)
	# Before systemd-boot: the ESP (or XBOOTLDR, and the ESP at /boot/efi)
	# mounted as /boot (checked by fsck.fat, pass 2), and the kernel command
	# line kernel-install writes into the entries. The packages go to the guest, whose first boot installs
	# them: their postinst runs bootctl install, which needs the mounted
	# ESP and the firmware's variables, then kernel-install add.
	sys_apt install --no-install-recommends dosfstools
	sed -i "s|^UUID=$SYSTEM_BOOT_UUID /boot ext4 [^ ]* [0-9] [0-9]|UUID=$SYSTEM_BOOT_VFAT_UUID /boot vfat umask=0077 0 2|" \
		"$root/etc/fstab"
	grep -q " /boot vfat " "$root/etc/fstab" || boot_fail "no /boot line in fstab to make vfat"
	if [[ $loader == sdboot-xbootldr ]]; then
		echo "UUID=$esp_uuid /boot/efi vfat umask=0077 0 2" >>"$root/etc/fstab"
		mkdir -p "$root/boot/efi"
	fi
	# no_timer_check: the Secure Boot firmware needs q35 with SMM, whose
	# timer check fails at random under TCG on a busy host.
	extra=''
	((sb)) && extra=' no_timer_check'
	echo "root=LABEL=$SYSTEM_ROOT_LABEL ro console=ttyS0 panic=-1$extra" >"$root/etc/kernel/cmdline"
	if ((sb)); then
		# What the UKI and the signatures need (the package only suggests
		# them), and the owner's db key: Debian's snakeoil test key
		# without its passphrase (sb_setup), as the hooks read it unattended.
		sys_apt install --no-install-recommends systemd-boot-efi sbsigntool binutils openssl cryptsetup-bin
		sb_setup
		install -d "$root/etc/initoverlayfs" && install -m 0600 -- "$SB_DB_KEY" "$root/etc/initoverlayfs/db.key" &&
			install -m 0644 -- "$SB_CERT" "$root/etc/initoverlayfs/db.crt" || boot_fail "installing the db key failed"
		# systemd-boot signed once, as its .signed twin: bootctl install
		# and update copy that one to the ESP.
		sbin=$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi
		[[ -f $sbin ]] || boot_fail "no $sbin (systemd-boot-efi)"
		sbsign --key "$root/etc/initoverlayfs/db.key" --cert "$root/etc/initoverlayfs/db.crt" \
			--output "$sbin.signed" "$sbin" 2>/dev/null || boot_fail "sbsign of systemd-boot failed"
	fi
	mkdir -p "$root/var/tmp/sdboot"
	for p in $(system_chroot "$root" apt-get -s install --no-install-recommends systemd-boot | sed -n 's/^Inst \([^ ]*\) .*/\1/p'); do
		sys_apt install --download-only --no-install-recommends "$p"
		d=$(find "$(_sys_cache)/debs" -maxdepth 1 -name "${p}_*.deb" | sort -V | tail -n 1)
		[[ -f $d ]] || boot_fail "no $p package downloaded"
		cp -- "$d" "$root/var/tmp/sdboot/"
	done
	[[ -n $(find "$root/var/tmp/sdboot" -name 'systemd-boot_*.deb') ]] || boot_fail "no systemd-boot package for the guest"
	boot_log "for the guest to install: $(cd "$root/var/tmp/sdboot" && echo *.deb)"
	;;
esac
cp -- "$deb" "$root/tmp/initoverlayfs.deb"
sys_apt install --no-install-recommends /tmp/initoverlayfs.deb
rm -f -- "$root/tmp/initoverlayfs.deb"
if ((sb)); then
	# The owner's settings, from the first conversion on (boot 1).
	cat >>"$root/etc/initoverlayfs/install.conf" <<EOF
uki /boot/EFI/Linux/debian-%k.efi
uki-sign /etc/initoverlayfs/db.key,/etc/initoverlayfs/db.crt
verity-sign /etc/initoverlayfs/db.key,/etc/initoverlayfs/db.crt
EOF
fi
# The second kernel, for the guest to install (it has no network): the
# newest 6.12 package the suite serves other than KVER's (its -unsigned
# build, which is what Debian 12 has for the newest point releases), unless
# SYSTEM_NEW_KERNEL_PKG. KVER is the newest signed one the suite serves, so
# that is the one before it when no newer point release has come out
# since: the same installing of a second kernel package, the menu's default
# then staying KVER's.
guest_newdeb=''
newkver=$kver
if ((reduced)); then
	boot_log "reduced form: no kernel update (IOFS_FULL=1 for all five boots)"
else
	newpkg=${SYSTEM_NEW_KERNEL_PKG:-$(system_chroot "$root" apt-cache pkgnames linux-image-6.12. |
		grep -E '^linux-image-6\.12\.[0-9]+\+deb[0-9]+(\.[0-9]+)?-amd64-unsigned$' | grep -vxF "linux-image-$kver-unsigned" |
		sort -V | tail -n 1)}
	[[ -n $newpkg && $newpkg != "linux-image-$kver-unsigned" ]] || boot_fail "no 6.12 kernel package other than $kver's"
	sys_apt install --download-only --no-install-recommends "$newpkg"
	newdeb=$(find "$(_sys_cache)/debs" -maxdepth 1 -name "${newpkg}_*.deb" | sort -V | tail -n 1)
	[[ -f $newdeb ]] || boot_fail "no $newpkg package downloaded"
	newkver=$(dpkg-deb -f "$newdeb" Package | sed -E 's/^linux-image-//; s/-unsigned$//')
	cp -- "$newdeb" "$root/var/tmp/newkernel.deb"
	guest_newdeb=/var/tmp/newkernel.deb
	boot_log "kernels: $kver, then $newkver ($(basename "$newdeb"))"
fi
# TOP: the kernel the menu's default entry boots once both are there (the
# newer version); OTHER: the one picked for one boot.
top=$(printf '%s\n' "$kver" "$newkver" | sort -V | tail -n 1)
other=$kver
[[ $top == "$kver" ]] && other=$newkver
find "$root/var/lib/apt/lists" -maxdepth 1 -type f -delete

install -m 0755 -- "$here/guest/iofs-firmware-step" "$root/usr/local/sbin/"
install -m 0644 -- "$here/guest/iofs-firmware-step.service" "$root/etc/systemd/system/"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants" "$root/var/lib/iofs-firmware"
ln -sf ../iofs-firmware-step.service "$root/etc/systemd/system/multi-user.target.wants/"
echo install >"$root/var/lib/iofs-firmware/stage"
cat >"$root/etc/iofs-firmware.conf" <<EOF
LOADER=${loader%%-*}
DISK=/dev/vda
KVER=$kver
NEWKVER=$newkver
NEWDEB=$guest_newdeb
OTHERKVER=$other
SECUREBOOT=$sb
REBUILD=$((sb && reduced ? 0 : 1))
EOF
system_report_install "$root" || boot_fail "installing the report service failed"

# The installer's boot starts the kernel and the classic initramfs itself.
inst=$SCRATCH/installer
mkdir -p "$inst"
cp -- "$root/boot/vmlinuz-$kver" "$root/boot/initrd.img-$kver" "$inst/"

# The disk, partitioned as Debian's installer does on GPT: for BIOS a 1 MiB
# BIOS boot partition (GRUB's core image) and /boot ext4 (fstab's UUID,
# fsck pass 2); for UEFI the ESP (vfat, its serial fstab's UUID). Then
# the root (LABEL=$SYSTEM_ROOT_LABEL).
disk=$SCRATCH/disk.img
boot_mib=512
# first_mib: the partition in front of /boot (BIOS boot; sdboot: unused;
# sdboot-xbootldr: the ESP, 128 MiB, which FAT32 needs at least 33 of).
first_mib=1
[[ $loader == sdboot-xbootldr ]] && first_mib=128
if [[ $loader == sdboot* ]]; then
	# The host's kernel may have no vfat: mtools writes it unmounted.
	truncate -s "${boot_mib}M" "$SCRATCH/boot.part" &&
		mkfs.vfat -F 32 -n "${SYSTEM_BOOT_LABEL^^}" -i "$SYSTEM_BOOT_VFAT_SERIAL" "$SCRATCH/boot.part" >/dev/null &&
		(cd "$root/boot" && MTOOLS_SKIP_CHECK=1 mcopy -s -p -Q -i "$SCRATCH/boot.part" ./* ::/) ||
		boot_fail "making /boot (vfat) failed"
	if [[ $loader == sdboot-xbootldr ]]; then
		truncate -s "${first_mib}M" "$SCRATCH/first.part" &&
			mkfs.vfat -F 32 -n ESP -i "$esp_serial" "$SCRATCH/first.part" >/dev/null ||
			boot_fail "making the ESP failed"
	fi
else
	disk_ext4_make "$SCRATCH/boot.part" "$boot_mib" "$SYSTEM_BOOT_LABEL" "$SYSTEM_BOOT_UUID" "$root/boot" ||
		boot_fail "making /boot failed"
fi
find "$root/boot" -mindepth 1 -delete
mib=$(du -sm -- "$root" | cut -f1)
# Room for the second kernel's modules and two initramfs generations.
root_mib=$((mib * 5 / 4 + 1536))
disk_ext4_make "$SCRATCH/root.part" "$root_mib" "$SYSTEM_ROOT_LABEL" "$(cat /proc/sys/kernel/random/uuid)" "$root" ||
	boot_fail "making the root filesystem failed"
rm -rf -- "$root"
# Where /boot and the root start, in MiB.
boot_at=$((1 + first_mib)) root_at=$((1 + first_mib + boot_mib))
truncate -s $((root_at + root_mib + 1))M "$disk"
first_part="start=2048, size=$((first_mib * 2048)),"
boot_part="start=$((boot_at * 2048)), size=$((boot_mib * 2048)),"
case $loader in
grub)
	first_part+=" type=21686148-6449-6E6F-744E-656564454649, name=bios"
	boot_part+=" type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=boot" ;;
sdboot | sdboot-secureboot)
	first_part+=" type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=unused"
	boot_part+=" type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp" ;;
sdboot-xbootldr)
	first_part+=" type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp"
	boot_part+=" type=BC13C2FF-59E6-4262-A352-B275FD6F7172, name=xbootldr" ;;
esac
sfdisk -q "$disk" <<EOF || boot_fail "partitioning $disk failed"
label: gpt
$first_part
$boot_part
start=$((root_at * 2048)), size=$((root_mib * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
EOF
# UEFI: OVMF's code read-only, its variables (Boot####, BootOrder,
# systemd-boot's) a copy of their own, kept across the boots.
# sdboot-secureboot: q35 with SMM for every boot; from boot 2 on OVMF's
# Secure Boot build and its variables with the snakeoil key enrolled as
# PK, KEK and db (the Boot#### entries of boot 1 are not in them: the
# firmware starts the removable path, \EFI\BOOT\BOOTX64.EFI, which bootctl
# installs too).
firmware=() sb_firmware=()
if [[ $loader == sdboot* ]]; then
	cp -- /usr/share/OVMF/OVMF_VARS_4M.fd "$SCRATCH/OVMF_VARS.fd" || boot_fail "no OVMF (package ovmf)"
	# shellcheck disable=SC2054 # the commas are part of the option values
	firmware=(-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
		-drive "if=pflash,format=raw,unit=1,file=$SCRATCH/OVMF_VARS.fd")
	if ((sb)); then
		cp -- "$SB_VARS" "$SCRATCH/OVMF_VARS.sb.fd" || boot_fail "copying $SB_VARS failed"
		sb_qemu_firmware "$SCRATCH/OVMF_VARS.sb.fd"
		sb_firmware=("${SB_QEMU[@]}")
		firmware=(-machine q35,smm=on "${firmware[@]}")
	fi
fi
if ! dd if="$SCRATCH/boot.part" of="$disk" bs=1M seek="$boot_at" conv=notrunc,sparse status=none ||
	! dd if="$SCRATCH/root.part" of="$disk" bs=1M seek="$root_at" conv=notrunc,sparse status=none ||
	{ [[ -f $SCRATCH/first.part ]] &&
		! dd if="$SCRATCH/first.part" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none; }; then
	boot_fail "writing the partitions failed"
fi
rm -f -- "$SCRATCH/first.part" "$SCRATCH/boot.part" "$SCRATCH/root.part"

# step_boot N STAGE: boot N (the installer's with -kernel, the others from
# the firmware), whose step must be STAGE and must finish; its console is
# $SCRATCH/bootN.log.
step_boot() {
	local n=$1 stage=$2 log=$SCRATCH/boot$1.log rc=0
	local -a kargs=("" "")
	local -a words=() fw=(${firmware[@]+"${firmware[@]}"})
	((n > 1 && sb)) && fw=("${sb_firmware[@]}")
	if ((n == 1)); then
		kargs=("$inst/vmlinuz-$kver" "$inst/initrd.img-$kver")
		words=("root=LABEL=$SYSTEM_ROOT_LABEL" ro)
	fi
	boot_log "boot $n ($stage): $( ((n == 1)) && echo "QEMU -kernel, classic initramfs" || echo "$loader from the firmware") (console: $log)"
	# No icount: nothing here is timed, and the steps run update-initramfs,
	# the builder and dpkg at TCG's full speed.
	QEMU_ICOUNT=0 QEMU_TIMEOUT=${QEMU_SETUP_TIMEOUT:-1800} qemu_boot "${kargs[@]}" "$log" \
		${words[@]+"${words[@]}"} -- ${fw[@]+"${fw[@]}"} -drive "file=$disk,format=raw,if=virtio" || rc=$?
	boot_log "boot $n ended after $QEMU_BOOT_WALL s wall (qemu status $rc)"
	tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >"$log.txt"
	if ! grep -aq "IOFS-STEP $stage done" "$log.txt"; then
		grep -aE 'IOFS-STEP|initoverlayfs|Kernel panic|error|Failed|GRUB|grub' "$log.txt" | tail -n 40 >&2 || true
		boot_fail "boot $n: step $stage did not finish (qemu status $rc)"
	fi
	grep -aoE "IOFS-STEP $stage .*" "$log.txt" | grep -v inspect-out >&2 || true
}
layout=own
[[ $loader == sdboot* ]] && layout=vfat
# initrd_pattern KVER: the initrd KVER's menu entry names, as a regex:
# GRUB's /initrd.img-KVER; systemd-boot's copy kernel-install makes in the
# entry directory, /ENTRY-TOKEN/KVER/initrd.img-KVER (the token: the
# machine ID).
initrd_pattern() {
	local k
	k=$(sed 's/[.+]/\\&/g' <<<"$1")
	case $loader in
	grub) echo "/initrd\\.img-$k" ;;
	sdboot-secureboot) echo "/EFI/Linux/debian-$k\\.efi" ;;  # the UKI
	sdboot*) echo "/[0-9a-f]{32}/$k/initrd\\.img-$k" ;;
	esac
}
# step N STAGE KEY: what boot N's step said for KEY (anywhere in a line:
# the console interleaves systemd's status lines and the login prompt).
step() { sed -n "s|^.*IOFS-STEP $2 $3: ||p" "$SCRATCH/boot$1.log.txt" | head -n 1; }
# check_boot N STAGE KIND KVER: boot N came from KVER's menu entry, which
# named its initrd.img, a mini initramfs (KIND initoverlayfs) or, after the
# purge, a classic one (KIND original) or (sdboot-secureboot) the UKI with
# the image the purge kept (KIND kept); the machine reached multi-user with
# nothing failed. sdboot-secureboot: under Secure Boot, the image through
# dm-verity with its root hash signature accepted.
check_boot() {
	local n=$1 stage=$2 kind=$3 k=$4 log=$SCRATCH/boot$1.log v
	SYSTEM_PROBLEMS=()
	system_check "$log" "${kind/kept/initoverlayfs}" "$layout"
	if ((sb)); then
		grep -aq 'secureboot: Secure boot enabled' "$log.txt" ||
			SYSTEM_PROBLEMS+=("the kernel does not say 'secureboot: Secure boot enabled'")
		grep -aqE 'initoverlayfs: verity: .* is checked by dm-verity as /dev/dm-[0-9]+ .*root hash signature accepted by the kernel' "$log.txt" ||
			SYSTEM_PROBLEMS+=("no 'initoverlayfs: verity: ... root hash signature accepted by the kernel'")
	fi
	v=$(system_report "$log" begin)
	[[ $v == "$k" ]] || SYSTEM_PROBLEMS+=("booted kernel $v, not $k")
	v=$(step "$n" "$stage" initrd)
	[[ $v =~ ^$(initrd_pattern "$k")$ ]] || SYSTEM_PROBLEMS+=("the menu entry that booted names initrd '$v', not $(initrd_pattern "$k")")
	v=$(step "$n" "$stage" inspect)
	if [[ $kind == kept ]]; then
		[[ $v == none ]] || SYSTEM_PROBLEMS+=("initoverlayfs-install still there after the purge (inspect: $v)")
	elif [[ $kind == initoverlayfs ]]; then
		[[ $v == 0 ]] || SYSTEM_PROBLEMS+=("--inspect of the entry's initrd: exit $v, not 0 (a good pair): $(grep -a "inspect-out" "$log.txt" | tail -n 5 | paste -sd';')")
	else
		[[ $v == none ]] || SYSTEM_PROBLEMS+=("initoverlayfs-install still there after the purge (inspect: $v)")
		! grep -aq 'initoverlayfs: ' "$log.txt" || SYSTEM_PROBLEMS+=("the early-boot program ran after the purge: $(grep -a 'initoverlayfs: ' "$log.txt" | head -n 1)")
	fi
	if ((${#SYSTEM_PROBLEMS[@]})); then
		system_console_excerpt "$log" >&2
		printf '%s: boot %s: FAIL: %s\n' "$BOOT_TEST_NAME" "$n" "${SYSTEM_PROBLEMS[@]}" >&2
		exit 1
	fi
	boot_log "boot $n: $k from entry '$(step "$n" "$stage" entry)', $kind, multi-user, nothing failed"
}

# entry_pattern KVER: the name of KVER's menu entry, as a glob.
entry_pattern() {
	case $loader in
	grub) echo "*with Linux $1" ;;
	sdboot-secureboot) echo "debian-$1.efi" ;;
	sdboot*) echo "*-$1.conf" ;;
	esac
}

step_boot 1 install
grep -aq 'initoverlayfs-install' "$SCRATCH/boot1.log.txt" || boot_fail "boot 1: update-initramfs did not run the initoverlayfs hook"
grep -aE 'initoverlayfs-install: |placement' "$SCRATCH/boot1.log.txt" | head -n 20 >&2 || true
if ((sb)); then
	for f in systemd/systemd-bootx64.efi BOOT/BOOTX64.EFI; do
		v=$(step 1 install "signed: /boot/EFI/$f")
		[[ $v == yes ]] || boot_fail "boot 1: /boot/EFI/$f is not signed with the db key ($v)"
	done
	v=$(step 1 install "uki: $kver")
	[[ $v == 0 ]] || boot_fail "boot 1: --inspect of /boot/EFI/Linux/debian-$kver.efi: exit $v, not 0"
fi

step_boot 2 update
check_boot 2 update initoverlayfs "$kver"
if [[ $loader == sdboot* ]] && [[ $(step 2 update "rebuild") != skipped ]]; then
	# update-initramfs -u on the converted machine: the new pair made, the
	# image the entry's copy still named kept until kernel-install copied
	# the new mini initramfs, then removed by --prune.
	v=$(step 2 update "rebuild: kept the entry's image")
	[[ $v == yes ]] || boot_fail "boot 2: the rebuild did not keep the image the entry's old mini initramfs names ($v)"
	v=$(step 2 update "rebuild: images of $kver")
	[[ $v == 1 ]] || boot_fail "boot 2: after the rebuild /boot has $v images of $kver, not 1 (the earlier one not pruned?)"
	v=$(step 2 update "rebuild: entry initrd")
	[[ $v == 0 ]] || boot_fail "boot 2: after the rebuild --inspect of the entry's initrd: exit $v, not 0"
fi
if ((sb)); then
	# The type #1 entry boot 2's step picked: systemd-boot asks the
	# firmware to load its kernel (signed by Debian, or not at all; not
	# with db), which refuses, and nothing of Linux runs. systemd-boot
	# then gives up to the firmware's next boot option, so this boot is
	# stopped at its error.
	log=$SCRATCH/boot2-loose.log
	v=$(step 2 update "next boot")
	[[ $v == "the type #1 entry of $kver" ]] || boot_fail "boot 2 did not pick $kver's type #1 entry for the next boot ($v)"
	boot_log "boot 2b: the type #1 entry under Secure Boot (console: $log)"
	QEMU_ICOUNT=0 QEMU_TIMEOUT=600 QEMU_STOP_AT='Failed to execute|Error loading|Linux version' \
		qemu_boot "" "" "$log" -- "${sb_firmware[@]}" -drive "file=$disk,format=raw,if=virtio" || true
	tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >"$log.txt"
	grep -aqE "(Error loading|Failed to execute) .*$(sed 's/[.+]/\\&/g' <<<"$kver").*: (Access Denied|Security Violation)" "$log.txt" || {
		tail -n 20 "$log.txt" >&2
		boot_fail "boot 2b: systemd-boot did not fail to start $kver's type #1 entry with the firmware's refusal"
	}
	! grep -aqE 'Linux version|EFI stub|initoverlayfs' "$log.txt" || boot_fail "boot 2b: something of Linux ran from the type #1 entry"
	boot_log "boot 2b: $(grep -aoE '(Error loading|Failed to execute) .*' "$log.txt" | head -n 1)"
fi
purge_boot=4 purge_stage=remove
if ((reduced)); then
	# Boot 2 purged the package too.
	purge_boot=2 purge_stage=update
else
	grep -aq "IOFS-STEP update installed $newkver" "$SCRATCH/boot2.log.txt" || boot_fail "boot 2: $newkver not installed"
	step_boot 3 previous
	check_boot 3 previous initoverlayfs "$top"
	step_boot 4 remove
	check_boot 4 remove initoverlayfs "$other"
	v=$(step 4 remove entry)
	# shellcheck disable=SC2053 # a glob
	[[ $v == $(entry_pattern "$other") ]] || boot_fail "boot 4 came from entry '$v', not $other's"
fi
kept=()
for k in $(printf '%s\n' "$kver" "$newkver" | sort -u); do
	v=$(step "$purge_boot" "$purge_stage" "after purge: $k")
	[[ $v == "0 initoverlayfs files in the initramfs" ]] || boot_fail "after the purge, initrd.img-$k: $v"
	if [[ $loader == sdboot* ]]; then
		v=$(step "$purge_boot" "$purge_stage" "after purge: $k entry")
		[[ $v == "0 initoverlayfs files in the initramfs" ]] || boot_fail "after the purge, the entry's initrd of $k: $v"
	fi
	if ((sb)); then
		# The UKI stays, and the image its mini initramfs names with it,
		# with the prerm saying so.
		v=$(step "$purge_boot" "$purge_stage" "after purge: $k uki")
		[[ $v =~ ^present\ naming\ (initoverlayfs-$(sed 's/[.+]/\\&/g' <<<"$k")-[0-9a-f]{8}\.img)\ present$ ]] ||
			boot_fail "after the purge, the UKI of $k: '$v', not present with its image"
		kept+=("./${BASH_REMATCH[1]}")
		grep -aqF "initoverlayfs: keeping /boot/${BASH_REMATCH[1]}: the unified kernel image /boot/EFI/Linux/debian-$k.efi boots with it" \
			"$SCRATCH/boot$purge_boot.log.txt" || boot_fail "the purge did not say it keeps ${BASH_REMATCH[1]} for the UKI"
	fi
done
v=$(step "$purge_boot" "$purge_stage" "after purge: /boot")
want=none
((sb)) && want=$(printf '%s\n' "${kept[@]}" | sort | paste -sd' ')
[[ $(tr ' ' '\n' <<<"$v" | sort | paste -sd' ') == "$want" ]] || boot_fail "after the purge, left in /boot: '$v', not '$want'"

step_boot 5 classic
if ((sb)); then
	# Under Secure Boot the UKI is what the firmware starts, so it is
	# what a machine without the package still boots.
	check_boot 5 classic kept "$top"
else
	check_boot 5 classic original "$top"
fi
echo "PASS: $BOOT_TEST_NAME"
