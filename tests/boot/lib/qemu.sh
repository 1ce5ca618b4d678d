# shellcheck shell=bash
# Booting kernels under QEMU and making the images they boot from.
#
#   qemu_boot KERNEL INITRD CONSOLE_LOG [CMDLINE_WORD...] [-- QEMU_ARG...]
#   qemu_boot "" "" CONSOLE_LOG -- QEMU_ARG...   (firmware and bootloader)
#   disk_ext4_make IMG SIZE_MB LABEL UUID SRC_DIR
#   busybox_initramfs OUT_CPIO_GZ INIT_SCRIPT_FILE [EXTRA_ROOT_DIR...]
#   qemu_kill_running
#
# KVM does not work on the test machines, so QEMU always runs with TCG.
# Sourcing this file changes no shell option; the functions return non-zero
# on failure and log to stderr.

_iofs_qlog() { printf 'qemu: %s\n' "$*" >&2; }

_QEMU_BOOT_PID=
# shellcheck disable=SC2034 # read by the tests
QEMU_BOOT_WALL=
# shellcheck disable=SC2034 # read by the tests
QEMU_STOPPED=0

# qemu_boot KERNEL INITRD CONSOLE_LOG [CMDLINE_WORD...] [-- QEMU_ARG...]
#
# Boots KERNEL (and INITRD, unless it is "") on one TCG vCPU with 1 GiB, the
# serial console on ttyS0 (ttyAMA0 on arm64) written to CONSOLE_LOG (QEMU's own messages go there
# too). The kernel command line is "console=ttyS0 panic=-1" plus the words
# before "--"; the words after "--" are passed to QEMU (e.g. -drive ...).
# With KERNEL "" QEMU has no -kernel: the firmware (SeaBIOS, or OVMF given
# as -drive if=pflash,... after "--") boots the disks' own bootloader, which
# chooses the kernel, initramfs and command line; no CMDLINE_WORD then.
#
# -no-reboot turns a guest reboot into a QEMU exit, so with panic=-1 a kernel
# panic ends QEMU at once (with status 0, like a guest poweroff: tell them
# apart by the console log, "reboot: Power down" vs "Kernel panic").
#
# Returns QEMU's exit status, or 124 if it was still running after
# QEMU_TIMEOUT seconds of wall time (then it is killed). Sets QEMU_BOOT_WALL to
# the wall time taken, in seconds.
#
# QEMU_STOP_AT (an extended regex): QEMU is stopped as soon as the console
# log matches it, and qemu_boot then returns 0 with QEMU_STOPPED=1 (for a
# firmware that refuses to boot and then waits at its menu).
#
# QEMU_ARCH=arm64 boots a 64-bit ARM kernel instead: qemu-system-aarch64,
# -machine virt (GIC, PL011 UART as ttyAMA0, PCIe: -drive if=virtio is a
# virtio-blk-pci disk) with -cpu ${QEMU_CPU:-cortex-a57}, cheaper under TCG
# than -cpu max, which emulates pointer authentication and SVE; the console
# is ttyAMA0.
#
# Environment: QEMU_TIMEOUT (default 180), QEMU_ICOUNT=1 (deterministic guest
# clock, 1 ns per instruction: for timing; about twice the wall time; idle
# time jumps to the next timer, sleep=off), QEMU_ICOUNT=sleep (the same, but
# idle time passes at the host's pace, sleep=on: for boots that wait on a
# disk, see ../shared/PLATFORM.md),
# QEMU_MEM (MiB, default 1024), QEMU_SMP (default 1), QEMU_BIN.
qemu_boot() {
	if (($# < 3)); then
		_iofs_qlog "usage: qemu_boot KERNEL INITRD CONSOLE_LOG [CMDLINE...] [-- QEMU_ARGS...]"
		return 2
	fi
	local kernel=$1 initrd=$2 log=$3
	shift 3
	local -a words=() qargs=()
	while (($#)); do
		if [[ $1 == -- ]]; then
			shift
			qargs=("$@")
			break
		fi
		words+=("$1")
		shift
	done
	if [[ -n $kernel && ! -r $kernel ]]; then
		_iofs_qlog "kernel $kernel not readable"
		return 2
	fi
	if [[ -z $kernel ]] && ((${#words[@]})) || [[ -z $kernel && -n $initrd ]]; then
		_iofs_qlog "qemu_boot: no kernel (the bootloader's), so no initrd or command line either"
		return 2
	fi
	local console=ttyS0 bin=qemu-system-x86_64
	local -a machine=(-cpu max)
	case ${QEMU_ARCH:-x86_64} in
	x86_64) ;;
	arm64)
		console=ttyAMA0 bin=qemu-system-aarch64
		machine=(-machine virt -cpu "${QEMU_CPU:-cortex-a57}")
		;;
	*)
		_iofs_qlog "QEMU_ARCH is x86_64 or arm64, not '$QEMU_ARCH'"
		return 2
		;;
	esac
	local append="console=$console panic=-1"
	((${#words[@]})) && append+=" ${words[*]}"

	local -a cmd=(
		"${QEMU_BIN:-$bin}"
		-accel tcg "${machine[@]}"
		-m "${QEMU_MEM:-1024}" -smp "${QEMU_SMP:-1}"
		-nographic -no-reboot
		# No default NIC: one PCI device less to probe; a test that wants a
		# network adds its own -nic.
		-nic none
	)
	[[ -n $kernel ]] && cmd+=(-kernel "$kernel" -append "$append")
	[[ -n $initrd ]] && cmd+=(-initrd "$initrd")
	# shellcheck disable=SC2054 # the comma is part of the option value
	[[ ${QEMU_ICOUNT:-0} == 1 ]] && cmd+=(-icount shift=0,sleep=off)
	# shellcheck disable=SC2054
	[[ ${QEMU_ICOUNT:-0} == sleep ]] && cmd+=(-icount shift=0,sleep=on)
	cmd+=("${qargs[@]}")

	local rc=0 t0 t1
	t0=$(date +%s.%N)
	# In the background and waited for, so that a signal to the test runs its
	# traps at once and qemu_kill_running can stop this QEMU.
	# timeout(1): TERM after QEMU_TIMEOUT, KILL 5 s later if still alive.
	timeout -k 5 "${QEMU_TIMEOUT:-180}" "${cmd[@]}" </dev/null >"$log" 2>&1 &
	_QEMU_BOOT_PID=$!
	local watcher=
	QEMU_STOPPED=0
	if [[ -n ${QEMU_STOP_AT:-} ]]; then
		# Firmware that refused to boot waits for a key forever: stop it
		# once the console says what the test waits for.
		(
			while kill -0 "$_QEMU_BOOT_PID" 2>/dev/null; do
				if grep -aEq -- "$QEMU_STOP_AT" "$log"; then
					sleep 1 # the rest of the line, and what follows at once
					kill -TERM "$_QEMU_BOOT_PID" 2>/dev/null
					break
				fi
				sleep 1
			done
		) &
		watcher=$!
	fi
	wait "$_QEMU_BOOT_PID" || rc=$?
	_QEMU_BOOT_PID=
	if [[ -n $watcher ]]; then
		kill "$watcher" 2>/dev/null || true
		wait "$watcher" 2>/dev/null || true
		if grep -aEq -- "$QEMU_STOP_AT" "$log"; then
			QEMU_STOPPED=1
			rc=0
		fi
	fi
	t1=$(date +%s.%N)
	# shellcheck disable=SC2034 # read by the tests
	QEMU_BOOT_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	# 137: timeout had to follow up with SIGKILL.
	if ((rc == 124 || rc == 137)); then
		_iofs_qlog "QEMU still running after ${QEMU_TIMEOUT:-180} s, killed"
		rc=124
	fi
	return "$rc"
}

# qemu_kill_running: stops the QEMU of a qemu_boot that is in progress (for an
# EXIT/INT trap). timeout(1) passes the TERM on to QEMU.
qemu_kill_running() {
	if [[ -n ${_QEMU_BOOT_PID:-} ]]; then
		kill -TERM "$_QEMU_BOOT_PID" 2>/dev/null || true
		wait "$_QEMU_BOOT_PID" 2>/dev/null || true
		_QEMU_BOOT_PID=
	fi
}

# disk_ext4_make IMG SIZE_MB LABEL UUID SRC_DIR
#
# Writes an ext4 image of SIZE_MB MiB holding a copy of SRC_DIR ("" for an
# empty filesystem), with the given label and UUID; no root needed (file
# owners are copied from SRC_DIR, the root directory is owned by 0:0). Attach
# it with -drive file=IMG,format=raw,if=virtio. The image is written under a
# temp name and renamed, so IMG is never left half made.
disk_ext4_make() {
	if (($# != 5)); then
		_iofs_qlog "usage: disk_ext4_make IMG SIZE_MB LABEL UUID SRC_DIR"
		return 2
	fi
	local img=$1 size=$2 label=$3 uuid=$4 src=$5
	if [[ ! $size =~ ^[1-9][0-9]*$ ]]; then
		_iofs_qlog "disk_ext4_make: SIZE_MB must be a positive integer, not '$size'"
		return 2
	fi
	local mkfs
	mkfs=$(PATH=$PATH:/usr/sbin:/sbin command -v mkfs.ext4) || {
		_iofs_qlog "mkfs.ext4 not found (package e2fsprogs)"
		return 1
	}
	# shellcheck disable=SC2054 # commas separate -E sub-options
	local -a opts=(-q -F -L "$label" -U "$uuid"
		# Initialise inode tables and journal now: otherwise the guest's
		# ext4lazyinit thread writes to the disk in the background of the
		# first read-write mount, which disturbs timings.
		-E lazy_itable_init=0,lazy_journal_init=0,root_owner=0:0)
	[[ -n $src ]] && opts+=(-d "$src")
	local tmp=$img.tmp.$$
	rm -f -- "$tmp"
	if ! truncate -s "${size}M" -- "$tmp" || ! "$mkfs" "${opts[@]}" "$tmp" >&2; then
		rm -f -- "$tmp"
		_iofs_qlog "disk_ext4_make: mkfs.ext4 of $img failed"
		return 1
	fi
	mv -f -- "$tmp" "$img"
}

# busybox_initramfs OUT_CPIO_GZ INIT_SCRIPT_FILE [EXTRA_ROOT_DIR...]
#
# Writes a gzip'ed newc cpio initramfs: static /bin/busybox with a symlink per
# applet in /bin (/sbin, /usr/bin, /usr/sbin point there), /dev/console and
# /dev/null, empty /proc /sys /dev /run /tmp /mnt, INIT_SCRIPT_FILE as /init,
# then the contents of each EXTRA_ROOT_DIR copied over the root (for modules,
# test payloads...). Device nodes need root; without it they are left out (the
# kernel's built-in initramfs has /dev/console anyway).
# Environment: BUSYBOX (default /bin/busybox, must be static; may be another
# machine's).
busybox_initramfs() {
	if (($# < 2)); then
		_iofs_qlog "usage: busybox_initramfs OUT_CPIO_GZ INIT_SCRIPT_FILE [EXTRA_ROOT_DIR...]"
		return 2
	fi
	local out=$1 init=$2
	shift 2
	local bb=${BUSYBOX:-/bin/busybox}
	if [[ ! -x $bb ]]; then
		_iofs_qlog "$bb missing (package busybox-static)"
		return 1
	fi
	# A dynamic busybox would die in the guest with a bare ENOENT from execve.
	if LC_ALL=C readelf -l "$bb" 2>/dev/null | grep -q 'Requesting program interpreter'; then
		_iofs_qlog "$bb is dynamically linked; install busybox-static"
		return 1
	fi
	if [[ ! -r $init ]]; then
		_iofs_qlog "init script $init not readable"
		return 1
	fi
	local - # restores the caller's options on return
	set -o pipefail
	local stage applet d rc=0
	stage=$(mktemp -d "${TMPDIR:-/tmp}/iofs-initramfs.XXXXXX") || return 1
	{
		mkdir -p "$stage"/{bin,dev,proc,sys,run,tmp,mnt,root,etc,usr} &&
			ln -s bin "$stage/sbin" &&
			ln -s ../bin "$stage/usr/bin" &&
			ln -s ../bin "$stage/usr/sbin" &&
			cp -- "$bb" "$stage/bin/busybox" &&
			install -m 0755 -- "$init" "$stage/init"
	} || rc=1
	# The applets: BUSYBOX's own list, or, for another machine's busybox
	# that cannot run here (the arm64 one), this machine's busybox's (the
	# same Debian package, so the same applets).
	local applets
	applets=$("$bb" --list 2>/dev/null) || applets=$(busybox --list) || rc=1
	if ((rc == 0)); then
		while read -r applet; do
			[[ $applet == busybox || -z $applet ]] && continue
			ln -s busybox "$stage/bin/$applet" || { rc=1; break; }
		done <<<"$applets"
	fi
	if ((rc == 0)); then
		if ! mknod -m 0600 "$stage/dev/console" c 5 1 2>/dev/null ||
			! mknod -m 0666 "$stage/dev/null" c 1 3 2>/dev/null; then
			_iofs_qlog "cannot mknod (not root?): initramfs without /dev/console, /dev/null"
		fi
	fi
	if ((rc == 0)); then
		for d in "$@"; do
			cp -a -- "$d/." "$stage/" || { rc=1; break; }
		done
	fi
	if ((rc == 0)); then
		# Sorted names and --reproducible (no inode/device numbers): the same
		# inputs give the same archive.
		(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
			cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -n -6 >"$out.tmp.$$" || rc=1
	fi
	rm -rf -- "$stage"
	if ((rc != 0)); then
		rm -f -- "$out.tmp.$$"
		_iofs_qlog "busybox_initramfs: building $out failed"
		return 1
	fi
	mv -f -- "$out.tmp.$$" "$out"
}
