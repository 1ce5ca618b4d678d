# shellcheck shell=bash
# The full-system test of one variant (issue 4): the cached Debian system
# booted with its own initramfs, then with that initramfs converted by
# initoverlayfs-install, then the two printed side by side.
#
#   system_test_main VARIANT BUILDER [MODE]
#
# MODE (or $SYSTEM_TEST_MODE): all (default), original, initoverlayfs — boot
# only one of the two, e.g. to retry a fix quickly. $SYSTEM_REDUCED_MODE
# (from CMake) is the mode of the suite's reduced form, unless IOFS_FULL=1. $IOFS_EARLY_BOOT_PROGRAM
# passes --early-boot-program to the builder (default: the one beside it);
# $SYSTEM_BUILDER_ARGS adds builder options. $SYSTEM_LAYOUT=vfat puts /boot on
# a vfat filesystem (fstab and the pair's bootfs follow), as on a
# systemd-boot ESP.
# KEEP_TMP=1 keeps the console logs, disks and pair (see common.sh).

_SYSTEM_CASE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$_SYSTEM_CASE_DIR/../boot/lib/common.sh"
. "$_SYSTEM_CASE_DIR/../boot/lib/kernels.sh"
. "$_SYSTEM_CASE_DIR/../boot/lib/qemu.sh"
. "$_SYSTEM_CASE_DIR/../boot/lib/pair.sh"
. "$_SYSTEM_CASE_DIR/lib/system.sh"
. "$_SYSTEM_CASE_DIR/lib/check.sh"

# _sys_boot_one KIND INITRD OUTDIR EXTRA_BOOT_DIR: makes the disks, boots,
# checks; sets SYSTEM_WALL[KIND].
declare -A SYSTEM_WALL=()
_sys_boot_one() {
	local kind=$1 initrd=$2 out=$3 extra=$4 rc=0
	system_disks "$VDIR" "$out" "$extra" || boot_fail "making the disks for the $kind boot failed"
	boot_log "booting the $kind initramfs ($(basename "$initrd")), console: $out.log"
	system_boot "$VDIR" "$initrd" "$out" "$out.log" || rc=$?
	SYSTEM_WALL[$kind]=$QEMU_BOOT_WALL
	boot_log "$kind boot ended after $QEMU_BOOT_WALL s wall (qemu status $rc)"
	((rc == 124)) && _sys_problem "$kind" "QEMU timed out after ${QEMU_TIMEOUT:-900} s"
	system_check "$out.log" "$kind" "${SYSTEM_LAYOUT:-own}"
	rm -f -- "$out/root.img" "$out/boot.img"
}

system_test_main() {
	local variant=$1 builder=${2:-} mode=${3:-${SYSTEM_TEST_MODE:-all}}
	boot_test_init
	# The suite's reduced form (label system_reduced, scripts/test.sh):
	# SYSTEM_REDUCED_MODE, set by CMake for the tests that have one, replaces
	# "all" unless IOFS_FULL=1.
	if [[ $mode == all && -n ${SYSTEM_REDUCED_MODE:-} && ${IOFS_FULL:-0} != 1 ]]; then
		mode=$SYSTEM_REDUCED_MODE
		boot_log "reduced form: booting $mode only (IOFS_FULL=1 boots both)"
	fi
	[[ $(id -u) == 0 ]] || boot_skip "needs root"
	[[ -n $builder ]] || boot_fail "usage: $0 PATH/TO/initoverlayfs-install [all|original|initoverlayfs]"
	[[ $mode =~ ^(all|original|initoverlayfs)$ ]] || boot_fail "unknown mode '$mode' (all, original, initoverlayfs)"
	BUILDER=$(realpath "$builder")
	boot_deps_install || boot_fail "could not install the boot-test packages"
	system_prepare || boot_fail "could not prepare the cached Debian system"
	VDIR=$(system_variant_dir "$variant")
	local kver=$SYSTEM_KVER orig ofiles=- ifiles=- olog='' ilog=''
	orig=$VDIR/root/boot/initrd.img-$kver
	boot_log "$(tr '\n' ' ' <"$VDIR/info")"

	if [[ $mode != initoverlayfs ]]; then
		olog=$SCRATCH/original.log
		ofiles="initrd $(du -h --apparent-size "$orig" | cut -f1)"
		_sys_boot_one original "$orig" "$SCRATCH/original" ""
	fi
	if [[ $mode != original ]]; then
		local pair=$SCRATCH/pair
		local -a extra=()
		[[ -n ${IOFS_EARLY_BOOT_PROGRAM:-} ]] && extra=(--early-boot-program "$IOFS_EARLY_BOOT_PROGRAM")
		# More builder options, e.g. "--mode systemd" (word-split).
		# shellcheck disable=SC2206
		extra+=(${SYSTEM_BUILDER_ARGS:-})
		mkdir -p "$pair"
		# The pair goes onto the boot disk (its root is the system's /boot);
		# onfailure=poweroff: a failed early boot ends QEMU at once.
		local bootfs="UUID=$SYSTEM_BOOT_UUID" bootfstype=ext4
		[[ ${SYSTEM_LAYOUT:-own} == vfat ]] && bootfs="UUID=$SYSTEM_BOOT_VFAT_UUID" bootfstype=vfat
		"$BUILDER" -f --initramfs "$orig" --kver "$kver" --moddir "$VDIR/root/lib/modules/$kver" \
			--output-dir "$pair" --bootfs "$bootfs" --bootfstype "$bootfstype" \
			--set onfailure=poweroff "${extra[@]}" >"$SCRATCH/pair.summary" 2>&1 ||
			{ cat "$SCRATCH/pair.summary" >&2; boot_fail "initoverlayfs-install failed"; }
		cat "$SCRATCH/pair.summary" >&2
		ifiles="mini $(du -h --apparent-size "$pair/initramfs-$kver.img" | cut -f1) + image $(du -h --apparent-size "$(pair_image "$pair" "$kver")" | cut -f1)"
		ilog=$SCRATCH/initoverlayfs.log
		_sys_boot_one initoverlayfs "$pair/initramfs-$kver.img" "$SCRATCH/initoverlayfs" "$pair"
	fi

	system_compare "$SYSTEM_RELEASE with $variant ($(_sys_info "$VDIR" generator)), kernel $kver, QEMU TCG, 1 vCPU, ${QEMU_MEM:-1024} MiB, $(case ${QEMU_ICOUNT:-sleep} in 1) echo 'icount sleep=off (guest s = 10^9 instructions)' ;; sleep) echo 'icount sleep=on (CPU work: guest s = 10^9 instructions; idle: the host clock)' ;; *) echo 'no icount (guest s follow the host clock)' ;; esac)" \
		"$olog" "$ilog" "$ofiles" "$ifiles" "${SYSTEM_WALL[original]:-}" "${SYSTEM_WALL[initoverlayfs]:-}"
	if ((${#SYSTEM_PROBLEMS[@]})); then
		local p k
		for k in original initoverlayfs; do
			local log=$SCRATCH/$k.log
			grep -q "^$k: " < <(printf '%s\n' "${SYSTEM_PROBLEMS[@]}") || continue
			printf -- '----- %s boot: console lines that tell why -----\n' "$k" >&2
			system_console_excerpt "$log" >&2
		done
		for p in "${SYSTEM_PROBLEMS[@]}"; do
			printf '%s: FAIL: %s\n' "$BOOT_TEST_NAME" "$p" >&2
		done
		exit 1
	fi
	echo "PASS: $BOOT_TEST_NAME ($mode)"
}
