#!/usr/bin/env bash
# The system benchmark (issue 12): whole Debian 12 systems — the full-system
# tests' cached workloads — booted as installed with their own initramfs
# ("classic") and through initoverlayfs, one QEMU at a time, each boot's
# timeline read from the kernel log and the journal.
#
#   bash bench/system.sh [options]
#
#   --suite S           bookworm (Debian 12, default) or trixie (Debian 13)
#   --workloads "W..."  of small (initramfs-tools MODULES=list: host-only),
#                       itools (initramfs-tools MODULES=most), dracut (generic
#                       dracut), fat (dracut + GPU drivers and firmware)
#                       (default: all four)
#   --modes "M..."      classic, classic-lz4 (the same archive as legacy
#                       lz4), init (initoverlayfs, init mode), initrd (init
#                       mode with the image inside the mini initramfs, the
#                       builder's default where /boot is on the root
#                       filesystem), systemd (--mode systemd; dracut
#                       workloads only), squash (the peer: the same system
#                       with its initramfs made by dracut-ng's squash-erofs
#                       module, as shipped: nothing compressed; dracut
#                       workloads, trixie only), squash-lz4hc (the same with
#                       squash_compress=lz4hc)
#                       (default: "classic classic-lz4 init systemd")
#   --runs N            boots per workload and mode under -icount (default 3)
#   --smp-runs N        boots per workload and mode with 2 vCPUs and no
#                       icount, the multi-core picture (default 0: none)
#   --builder PATH      initoverlayfs-install (default: build/ of this tree)
#   --results DIR       (default: bench/results/system-YYYY-MM-DD[-N])
#   --mem MIB           guest RAM (default 1024)
#
# Method: -icount shift=0,sleep=on, 1 vCPU (CPU work counts instructions,
# idle time — waiting for the disk — passes at the host's pace; sleep=off
# would jump the guest clock at random whenever it waits, see
# ../shared/PLATFORM.md), disks on the host's page cache (made before each
# boot and read once by QEMU), boots one after another. The pair goes onto
# the system's own /boot disk (fstab by UUID, fsck pass 2), built with
# `--bootfs UUID=... --bootfstype ext4` from the system's own initramfs, and
# the kernel command line has initoverlayfs.debug, so the per-module load
# times are in the journal.
#
# Writes results.csv (one row per boot), summary.md (medians with the
# spread, the phase timeline, U, G, M and the issue's targets as ratios),
# the plots time_to_root.svg and phases.svg, and logs/. A boot whose time to the real root is more than 25 % away from
# the median of its workload and mode is marked as an outlier (a jumped
# clock, a stalled host) and left out of the medians; the summary lists it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

workloads="small itools dracut fat" modes="classic classic-lz4 init systemd" runs=3 smp_runs=0
builder=$top/build/initoverlayfs-install results='' mem=1024 suite=bookworm
while (($#)); do
	case $1 in
	--suite) suite=$2; shift ;;
	--workloads) workloads=$2; shift ;;
	--modes) modes=$2; shift ;;
	--runs) runs=$2; shift ;;
	--smp-runs) smp_runs=$2; shift ;;
	--builder) builder=$2; shift ;;
	--results) results=$2; shift ;;
	--mem) mem=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/system.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[[ $(id -u) == 0 ]] || { echo "bench/system.sh: needs root" >&2; exit 1; }
[[ -x $builder ]] || { echo "bench/system.sh: no builder at $builder (build first, or --builder)" >&2; exit 1; }
builder=$(realpath "$builder")
[[ $suite =~ ^(bookworm|trixie)$ ]] || { echo "bench/system.sh: unknown suite $suite (bookworm, trixie)" >&2; exit 2; }
export SYSTEM_SUITE=$suite
. "$top/tests/boot/lib/common.sh"
. "$top/tests/boot/lib/kernels.sh"
. "$top/tests/boot/lib/qemu.sh"
. "$top/tests/boot/lib/pair.sh"
. "$top/tests/system/lib/system.sh"
. "$top/tests/system/lib/check.sh"
declare -A variant_of=([small]=initramfs-tools-dep [itools]=initramfs-tools [dracut]=dracut [fat]=dracut-fat)
for w in $workloads; do
	[[ -n ${variant_of[$w]:-} ]] || { echo "bench/system.sh: unknown workload $w" >&2; exit 2; }
done
for m in $modes; do
	[[ $m =~ ^(classic|classic-lz4|init|initrd|systemd|squash|squash-lz4hc)$ ]] || { echo "bench/system.sh: unknown mode $m" >&2; exit 2; }
done
# Debian 12's dracut (059) has no squash-erofs module, only squashfs.
[[ " $modes " == *" squash"* && $suite == bookworm ]] &&
	{ echo "bench/system.sh: mode squash needs --suite trixie (dracut-ng's squash-erofs)" >&2; exit 2; }
# The variants the run boots (the peer's squash modes boot variants of their
# own), and those of them the tests do not build.
variants='' extra=''
for w in $workloads; do
	for v in "${variant_of[$w]}" $(for m in $modes; do [[ $m != squash* || ${variant_of[$w]} != dracut* ]] || echo "${variant_of[$w]}-$m"; done); do
		[[ " $variants " == *" $v "* ]] && continue
		variants+=" $v"
		[[ " ${SYSTEM_VARIANTS[*]} " == *" $v "* ]] || extra+=" $v"
	done
done
export SYSTEM_EXTRA_VARIANTS=$extra

if [[ -z $results ]]; then
	results=$top/bench/results/system-$(date +%F)
	n=1
	while [[ -e $results ]]; do results=$top/bench/results/system-$(date +%F)-$((n++)); done
fi
mkdir -p "$results/logs"
results=$(realpath "$results")
boot_test_init
boot_deps_install || boot_fail "could not install the boot-test packages"
system_prepare || boot_fail "could not prepare the cached Debian systems"

csv=$results/results.csv
echo "workload,mode,smp,run,kernel_init,ready_ms,modules_ms,m_ms,initrd_init,real_systemd,multi_user,initrd_mem_mib,mem_mib,boot_read_bytes,boot_fs_bytes,unpacked_bytes,state,wall_s" >"$csv"
{
	echo "command: bash bench/system.sh --suite $suite --workloads \"$workloads\" --modes \"$modes\" --runs $runs --smp-runs $smp_runs --mem $mem"
	echo "date: $(date -u '+%F %T UTC')"
	echo "commit: $(git -C "$top" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$top" diff --quiet HEAD -- src 2>/dev/null || echo ' (src modified)')"
	echo "builder: $builder ($(sha256sum "$builder" | cut -c1-16)); early-boot program $(sha256sum "$(dirname "$builder")/initoverlayfs" 2>/dev/null | cut -c1-16)"
	echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB"
	echo "qemu: $(qemu-system-x86_64 --version | head -n 1)"
	echo "guest: TCG -cpu max, ${mem} MiB; -icount shift=0,sleep=on with 1 vCPU; $smp_runs boots per case with 2 vCPUs, no icount"
	echo "kernel: $SYSTEM_KVER ($SYSTEM_RELEASE)"
	for v in $variants; do
		echo "$v: $(grep -E '^(generator|initrd_bytes|initrd_unpacked_bytes)=' "$(system_variant_dir "$v")/info" | tr '\n' ' ')"
	done
} >"$results/machine.txt"

# M: the modules only initoverlayfs needs (erofs, overlay, loop and what
# they depend on), the sum of their load times as the early-boot program
# logged them (1 vCPU: the loads do not overlap).
m_ms() {
	tr -d '\r' <"$1" | grep -aoE 'initoverlayfs: loaded [^ ]+/(erofs|overlay|loop|libcrc32c|crc32c-intel|crc32c_generic)\.ko[^ ]* in [0-9]+ us' |
		awk '{ s += $(NF - 1) } END { if (NR) printf "%d", s / 1000 }'
}

# boot_case WORKLOAD MODE SMP RUN
boot_case() {
	local w=$1 mode=$2 smp=$3 run=$4 vdir kver orig initrd extra='' out name rc=0
	vdir=$(system_variant_dir "${variant_of[$w]}")
	# The peer boots its own installed system, whose initramfs dracut made
	# with squash-erofs (the root differs by dracut-squash and erofs-utils).
	[[ $mode == squash* ]] && vdir=$(system_variant_dir "${variant_of[$w]}-$mode")
	kver=$SYSTEM_KVER
	orig=$vdir/root/boot/initrd.img-$kver
	name=$w-$mode-smp$smp-$run
	out=$SCRATCH/$name
	local read_bytes fs_bytes
	if [[ $mode == classic || $mode == squash* ]]; then
		initrd=$orig
		read_bytes=$(stat -c %s "$orig")
		fs_bytes=$read_bytes
	elif [[ $mode == classic-lz4 ]]; then
		# The same archive recompressed in the legacy lz4 format, the
		# cheapest classic format for the kernel to unpack. (The test
		# systems have no early microcode archive in front.)
		initrd=$SCRATCH/lz4-$w.img
		if [[ ! -s $initrd ]]; then
			case $(head -c 2 "$orig" | od -An -tx1 | tr -d ' ') in
			1f8b) gzip -dc "$orig" ;;
			28b5) zstd -dcq "$orig" ;;
			*) boot_fail "$orig: neither gzip nor zstd" ;;
			esac | lz4 -l -9 -q >"$initrd"
		fi
		read_bytes=$(stat -c %s "$initrd")
		fs_bytes=$read_bytes
	else
		local pair=$SCRATCH/pair-$w-$mode
		if [[ ! -d $pair ]]; then
			local -a args=(--bootfs "UUID=$SYSTEM_BOOT_UUID" --bootfstype ext4)
			[[ $mode == systemd ]] && args+=(--mode systemd)
			[[ $mode == initrd ]] && args=(--placement initrd)
			mkdir -p "$pair"
			"$builder" -f --initramfs "$orig" --kver "$kver" --moddir "$vdir/root/lib/modules/$kver" \
				--output-dir "$pair" --set onfailure=poweroff "${args[@]}" >"$results/logs/build-$w-$mode.txt" 2>&1 ||
				{ cat "$results/logs/build-$w-$mode.txt" >&2; boot_fail "initoverlayfs-install failed for $w $mode"; }
		fi
		initrd=$pair/initramfs-$kver.img
		extra=$pair
		read_bytes=$(stat -c %s "$initrd")
		fs_bytes=$read_bytes
		[[ $mode == initrd ]] || fs_bytes=$((read_bytes + $(stat -c %s "$(pair_image "$pair" "$kver")")))
	fi
	system_disks "$vdir" "$out" "$extra" || boot_fail "making the disks for $name failed"
	# The disks into the page cache before the clock starts.
	cat "$out/root.img" "$out/boot.img" >/dev/null
	local icount=sleep
	((smp > 1)) && icount=0
	QEMU_SMP=$smp QEMU_MEM=$mem QEMU_ICOUNT=$icount system_boot "$vdir" "$initrd" "$out" "$results/logs/$name.log" \
		initoverlayfs.debug || rc=$?
	rm -f -- "$out/root.img" "$out/boot.img"
	local -A t=()
	local k v
	while read -r k v; do t[$k]=$v; done < <(system_times "$results/logs/$name.log")
	local ready='' modules=''
	if [[ $mode != classic* && $mode != squash* ]]; then
		ready=$(tr -d '\r' <"$results/logs/$name.log" | grep -aoE 'initoverlayfs: ready in [0-9]+ ms' | head -n 1 | grep -oE '[0-9]+' || true)
		modules=$(tr -d '\r' <"$results/logs/$name.log" | grep -aoE 'ready in [0-9]+ ms \(modules [0-9]+' | head -n 1 | grep -oE '[0-9]+$' || true)
	fi
	local state
	state=$(system_report "$results/logs/$name.log" state)
	[[ $rc == 0 ]] || state="qemu-status-$rc"
	echo "$w,$mode,$smp,$run,${t[kernel_init]},$ready,$modules,$( [[ $mode == classic* || $mode == squash* ]] || m_ms "$results/logs/$name.log"),${t[initrd_init]},${t[real_systemd]},${t[multi_user]},${t[initrd_memavailable_mib]},${t[memavailable_mib]},$read_bytes,$fs_bytes,$(_sys_info "$vdir" initrd_unpacked_bytes),${state:-no-report},$QEMU_BOOT_WALL" |
		sed 's/,-,/,,/g; s/,-,/,,/g' >>"$csv"
	boot_log "$name: real root at ${t[real_systemd]} s, multi-user ${t[multi_user]} s, state ${state:-no report} ($QEMU_BOOT_WALL s wall)"
}

for w in $workloads; do
	for mode in $modes; do
		[[ $mode == systemd || $mode == squash* ]] && [[ ${variant_of[$w]} != dracut* ]] && continue
		for ((r = 1; r <= runs; r++)); do boot_case "$w" "$mode" 1 "$r"; done
		for ((r = 1; r <= smp_runs; r++)); do boot_case "$w" "$mode" 2 "$r"; done
	done
done

python3 "$top/bench/system_report.py" "$results" | tee "$results/summary.md"
# The plots draw the 1-vCPU (-icount) boots.
if ((runs > 0)); then
	python3 "$top/bench/system_plots.py" "$results/results.csv" "$results"
else
	echo "bench/system.sh: no plots: they draw the -icount boots, and --runs is 0"
fi
echo "bench/system.sh: results in $results"
