# shellcheck shell=bash
# What the full-system tests assert about a boot, and the side-by-side table
# of the original initramfs's boot and initoverlayfs's.
#
#   system_check LOG KIND      KIND original|initoverlayfs; each unmet
#                              expectation is added to SYSTEM_PROBLEMS
#   system_times LOG           prints "KEY VALUE" lines: the boot's timeline
#   system_compare TITLE ORIG_LOG IOFS_LOG ORIG_FILES IOFS_FILES ORIG_WALL IOFS_WALL
#   system_console_excerpt LOG the console lines that tell why a boot failed
#
# A boot's facts come from two places: the report the guest prints once its
# boot is over (guest/iofs-report: systemd state, mounts, journal timeline),
# and, for what happens before any journal exists or in a boot that never
# gets that far, the kernel's timestamped console lines.

SYSTEM_PROBLEMS=()

_sys_problem() { SYSTEM_PROBLEMS+=("$1: $2"); }

# _sys_ts ERE: the "[ seconds ]" timestamp of the first line of stdin that
# matches ERE; nothing if none does.
_sys_ts() {
	{ grep -aE -- "$1" | head -n 1 | grep -oE '\[ *[0-9]+\.[0-9]+\]' | head -n 1 | tr -d '[] '; } || true
}

# _sys_timeline LOG: the journal timeline the report printed, or, without a
# report, the same kind of lines from the console.
_sys_timeline() {
	local lines
	lines=$(system_report "$1" timeline)
	if [[ -z $lines ]]; then
		lines=$(tr -d '\r' <"$1" | grep -aE 'Run /.* as init process|systemd\[1\]: systemd [0-9].* running in system mode|initoverlayfs: |Reached target multi-user\.target' || true)
	fi
	printf '%s\n' "$lines"
}

system_times() {
	local log=$1 tl console kinit ready initrd real mu mem
	tl=$(_sys_timeline "$log")
	console=$(tr -d '\r' <"$log")
	# Kernel-side events: the console has them for every boot.
	kinit=$(_sys_ts 'Run /.* as init process' <<<"$console")
	ready=$(_sys_ts 'initoverlayfs: ready in' <<<"$console")
	local -a sysd=()
	local l
	while IFS= read -r l; do
		sysd+=("$(_sys_ts . <<<"$l")")
	done < <(grep -aE 'systemd\[1\]: systemd [0-9].* running in system mode' <<<"$tl" || true)
	# dracut: systemd starts twice (initrd, real root); initramfs-tools: once,
	# its initrd's init is the /init script the kernel (or initoverlayfs) ran.
	if ((${#sysd[@]} >= 2)); then
		initrd=${sysd[0]}
		real=${sysd[-1]}
	else
		initrd=${ready:-$kinit}
		real=${sysd[0]:-}
	fi
	mu=$(_sys_ts 'Reached target multi-user\.target' <<<"$tl")
	mem=$(system_report "$log" memavailable | awk '{ printf "%d", $1 / 1024 }')
	# The probe in the initrd (guest/): MemAvailable at its last moment.
	local imem
	imem=$({ grep -aoE 'IOFS-INITRD-MEM MemAvailable: +[0-9]+ kB' <<<"$console" || true; } | tail -n 1 | awk '{ printf "%d", $3 / 1024 }')
	printf 'kernel_init %s\n' "${kinit:--}"
	printf 'initrd_init %s\n' "${initrd:--}"
	printf 'real_systemd %s\n' "${real:--}"
	printf 'multi_user %s\n' "${mu:--}"
	printf 'memavailable_mib %s\n' "${mem:--}"
	printf 'initrd_memavailable_mib %s\n' "${imem:--}"
	printf 'summary %s\n' "$({ grep -aoE 'initoverlayfs: ready in [0-9]+ ms' <<<"$console" || true; } | head -n 1 | cut -d' ' -f2-)"
}

system_check() {
	local log=$1 kind=$2 layout=${3:-own} v
	if [[ $kind == initoverlayfs ]]; then
		grep -aqE 'initoverlayfs: ready in [0-9]+ ms' "$log" ||
			_sys_problem "$kind" "the console has no 'initoverlayfs: ready in N ms' summary line"
	fi
	if grep -aq 'Kernel panic' "$log"; then
		_sys_problem "$kind" "kernel panic: $(tr -d '\r' <"$log" | grep -a 'Kernel panic' | head -n 1)"
	fi
	if [[ -z $(system_report "$log" end) ]]; then
		_sys_problem "$kind" "no report: the real root's systemd never finished booting"
		return 0
	fi
	v=$(system_report "$log" state)
	[[ $v == running ]] || _sys_problem "$kind" "system state is '$v', not 'running'"
	v=$(system_report "$log" failed)
	[[ $v == none ]] || _sys_problem "$kind" "failed units: $(tr '\n' ';' <<<"$v")"
	# Not "| grep -q": under pipefail its early exit can fail the writer
	# with SIGPIPE, and the pipeline with it.
	[[ $(_sys_timeline "$log") == *"Reached target multi-user.target"* ]] ||
		_sys_problem "$kind" "the journal never reached multi-user.target"
	v=$(system_report "$log" root)
	# A whole disk, or a partition of one (deb_firmware.sh's GPT disk).
	[[ $v =~ ^/dev/vd[a-z]+[0-9]*\ ext4\ rw, ]] ||
		_sys_problem "$kind" "/ is '$v', not the real root disk (ext4, rw)"
	v=$(system_report "$log" boot)
	if [[ $layout == root ]]; then
		[[ $v == "not mounted" ]] || _sys_problem "$kind" "/boot is '$v', not a directory of the root filesystem"
	else
		local bootfstype=ext4 dev='/dev/vd[a-z]+[0-9]*'
		[[ $layout == vfat ]] && bootfstype=vfat
		# md RAID, LVM (deb_stacked.sh): the array or the logical volume.
		[[ $layout == md ]] && dev='/dev/md[0-9a-z/_]+'
		[[ $layout == lvm ]] && dev='/dev/(mapper/[^ ]+|dm-[0-9]+)'
		[[ $v =~ ^$dev\ $bootfstype\ rw, ]] ||
			_sys_problem "$kind" "/boot is '$v', not the boot filesystem ($bootfstype on $dev) mounted read-write from fstab"
	fi
	v=$(system_report "$log" early-mount)
	[[ $v == none ]] || _sys_problem "$kind" "early mounts left: $(tr '\n' ';' <<<"$v")"
	v=$(system_report "$log" loop)
	[[ $v == none ]] || _sys_problem "$kind" "loop devices attached: $(tr '\n' ';' <<<"$v")"
	v=$(system_report "$log" loop-backing)
	[[ $v == none ]] || _sys_problem "$kind" "loop devices with a backing file: $(tr '\n' ';' <<<"$v")"
	v=$(system_report "$log" fs)
	if [[ $layout == root ]]; then
		# The root (fstab pass 1) must be checked and found clean: by the
		# initrd's systemd-fsck (dracut, in the journal) or by
		# initramfs-tools' fsck (on the console only: it runs before any journal).
		grep -qE "($SYSTEM_ROOT_LABEL|/dev/vd[a-z]+): clean" <<<"$v$(tr -d '\r' <"$log")" ||
			_sys_problem "$kind" "no clean fsck of the root filesystem (/boot is on it)"
	elif [[ $layout != vfat ]]; then  # vfat: fstab pass 0 (system_disks)
		# /boot must be checked by systemd-fsck (fstab pass 2) and found clean.
		grep -qE "systemd-fsck\[[0-9]+\]: ($SYSTEM_BOOT_LABEL|/dev/vd[a-z]+[0-9]*): clean" <<<"$v" ||
			_sys_problem "$kind" "no clean fsck of /boot by systemd-fsck in the journal"
	fi
	local complaint='would change RO state|Dependency failed|emergency|(boot\.mount|systemd-fsck).*(fail|error|in use|mounted|busy|Cannot continue)'
	if grep -qiE "$complaint" <<<"$v"; then
		_sys_problem "$kind" "journal complaints about the file systems: $(grep -iE "$complaint" <<<"$v" | sed 's/^\[ *\([0-9.]*\)\] [^ ]* /\1 /' | paste -sd';')"
	fi
}

system_console_excerpt() {
	tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;]*m//g' | grep -aE 'initoverlayfs: |run-init|Kernel panic|No init found|Target filesystem doesn.t have|Rebooting automatically|fsck not present|would change RO state|Failed to mount|Dependency failed|emergency|Emergency|You are in|Cannot open access|IOFS-REPORT (state|failed|root|boot|early-mount|loop)' |
		sed 's/^.*IOFS-REPORT/IOFS-REPORT/' | awk '!seen[$0]++' | head -n 40
}

# _sys_dash VALUE: VALUE, or "-" when empty.
_sys_dash() { printf '%s' "${1:--}"; }

system_compare() {
	local title=$1 olog=$2 ilog=$3 ofiles=$4 ifiles=$5 owall=$6 iwall=$7
	local -A o=() i=()
	local k v
	if [[ -s $olog ]]; then
		while read -r k v; do o[$k]=$v; done < <(system_times "$olog")
	fi
	if [[ -s $ilog ]]; then
		while read -r k v; do i[$k]=$v; done < <(system_times "$ilog")
	fi
	row() { printf '%-40s %-28s %s\n' "$1" "$(_sys_dash "$2")" "$(_sys_dash "$3")"; }
	state() { # LOG: "state, N failed"
		[[ -s $1 ]] || return 0
		local s f
		s=$(system_report "$1" state)
		[[ -n $s ]] || { printf 'no report'; return 0; }
		f=$(system_report "$1" failed)
		[[ $f == none ]] && f=0 || f=$(wc -l <<<"$f")
		printf '%s, %s failed' "$s" "$f"
	}
	mounts() { # LOG: "MOUNTPOINT (FSTYPE)" of each early mount left, or none
		[[ -s $1 ]] || return 0
		system_report "$1" early-mount | awk '$0 == "none" { print; next }
			{ for (f = 7; f <= NF && $f != "-"; f++); printf "%s%s (%s)", sep, $5, $(f + 1); sep = "; " }'
	}
	printf '\n%s\n' "$title"
	row "" "original initramfs" "initoverlayfs"
	row "files booted" "$ofiles" "$ifiles"
	row "kernel runs /init (guest s)" "${o[kernel_init]:-}" "${i[kernel_init]:-}"
	row "initoverlayfs summary" "" "${i[summary]:-}"
	row "initrd's systemd or init script (s)" "${o[initrd_init]:-}" "${i[initrd_init]:-}"
	row "real root's systemd (guest s)" "${o[real_systemd]:-}" "${i[real_systemd]:-}"
	row "multi-user.target reached (guest s)" "${o[multi_user]:-}" "${i[multi_user]:-}"
	row "MemAvailable, last in initrd (MiB)" "${o[initrd_memavailable_mib]:-}" "${i[initrd_memavailable_mib]:-}"
	row "MemAvailable at multi-user (MiB)" "${o[memavailable_mib]:-}" "${i[memavailable_mib]:-}"
	row "system state" "$(state "$olog")" "$(state "$ilog")"
	row "/boot in the running system" "$( [[ -s $olog ]] && system_report "$olog" boot)" "$( [[ -s $ilog ]] && system_report "$ilog" boot)"
	row "early mounts left" "$(mounts "$olog")" "$(mounts "$ilog")"
	row "loop devices attached" "$( [[ -s $olog ]] && system_report "$olog" loop | paste -sd';')" "$( [[ -s $ilog ]] && system_report "$ilog" loop | paste -sd';')"
	row "host wall time of the boot (s)" "$owall" "$iwall"
	unset -f row state mounts
}
