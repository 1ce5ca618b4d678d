#!/usr/bin/env bash
# Boot-time and memory benchmark of initoverlayfs against a classic initramfs
# (issue 5). One command runs a sweep and writes its results:
#
#   bash bench/run.sh                 full sweep: sizes 0 16 64 256 1024 MiB,
#                                     every mode, 3 runs each (30-60 min)
#   bash bench/run.sh --quick         smoke test: 16 MiB, one run, modes
#                                     floor classic-zstd initoverlayfs
#
# For every payload size it generates the same initramfs-like content
# (bench/payload.py: kernel modules, shared libraries, firmware-like blobs,
# scripts; fixed seed) and boots it on the Debian 6.12 kernel under QEMU TCG
# with -icount shift=0,sleep=off (guest time follows the instruction count, so
# it does not depend on the load of the host), 1 vCPU, the same RAM in every
# mode, the same virtio disk attached:
#
#   floor                 a tiny busybox initramfs whose /init only reports:
#                         the kernel's own boot cost (booted once per run,
#                         not per size)
#   classic-zstd          the payload as a cpio initramfs, zstd -19
#   classic-lz4           the payload as a cpio initramfs, lz4 -l -9
#   initoverlayfs         the pair from initoverlayfs-install --rootdir, the
#                         image on an ext4 virtio disk, generic driver set
#   initoverlayfs-virtio  the same with --driver-set minimal (only when the
#                         builder offers that option)
#
# The payload's /init (busybox) prints /proc/uptime and MemAvailable, then
# powers off. Writes to the results directory (default
# bench/results/YYYY-MM-DD[-N]/):
#
#   results.csv      one row per boot
#   summary.md       medians with min-max, content, targets (also printed)
#   medians.csv      the medians, one row per mode and size
#   content.csv      what each payload holds; compression.csv its ratios
#   machine.txt      host, tools, commit and build the figures came from
#   time-to-init.png, mem-available.png
#   logs/            console log of every boot
#
# Exits non-zero only if a boot failed (the payload's init never ran) or the
# sweep could not be set up; the targets are printed, never asserted.
#
# Needs root (mknod, mkfs, apt-get). Installs what it needs with apt-get,
# including gnuplot-nox for the plots.
# shellcheck source-path=SCRIPTDIR/..
set -Eeuo pipefail
shopt -s inherit_errexit

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$bench_dir")

usage() {
	sed -n '2,/^# shellcheck/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
	cat <<'EOF'
Options:
  --quick            one size (16), one run, modes floor classic-zstd initoverlayfs
  --sizes "LIST"     payload sizes in MiB (default "0 16 64 256 1024")
  --runs N           boots per mode and size (default 3)
  --modes "LIST"     modes to run (default: all of the above)
  --jobs N           QEMUs at once (default 2; guest time is unaffected)
  --mem MiB          guest RAM, the same for every mode (default 3072)
  --seed STRING      payload seed (default initoverlayfs-bench-1)
  --results DIR      where to write (default bench/results/DATE[-N])
  --builder PATH     use this initoverlayfs-install (skips the build; the
                     early-boot program next to it is used)
  --build-dir DIR    build here first (default build-bench/, Release)
  --rev REV          build a clean export of commit REV instead of the
                     working tree (in $BENCH_TMPDIR, default
                     /var/tmp/initoverlayfs-bench)
  --cmdline "WORDS"  extra kernel command line words, in every mode
  --icount-sleep on  -icount shift=0,sleep=on instead of sleep=off: idle
                     guest time (waiting for the disk) then passes at host
                     speed instead of jumping to the next timer; an experiment
  --keep             keep the work directory (payloads, images, disks)
EOF
}

quick=0 sizes="0 16 64 256 1024" runs=3 jobs_max=2 mem=3072 seed=initoverlayfs-bench-1
modes="floor classic-zstd classic-lz4 initoverlayfs initoverlayfs-virtio"
results='' builder='' build_dir=$top/build-bench extra_cmdline='' keep=0 rev='' icount_sleep=off
build_dir_set=0
sizes_set=0 runs_set=0 modes_set=0
while (($#)); do
	case $1 in
	--quick) quick=1 ;;
	--sizes) sizes=$2; sizes_set=1; shift ;;
	--runs) runs=$2; runs_set=1; shift ;;
	--modes) modes=$2; modes_set=1; shift ;;
	--jobs) jobs_max=$2; shift ;;
	--mem) mem=$2; shift ;;
	--seed) seed=$2; shift ;;
	--results) results=$2; shift ;;
	--builder) builder=$2; shift ;;
	--build-dir) build_dir=$2; build_dir_set=1; shift ;;
	--rev) rev=$2; shift ;;
	--icount-sleep) icount_sleep=$2; shift ;;
	--cmdline) extra_cmdline=$2; shift ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if ((quick)); then
	((sizes_set)) || sizes=16
	((runs_set)) || runs=1
	((modes_set)) || modes="floor classic-zstd initoverlayfs"
fi
for v in $sizes; do [[ $v =~ ^[0-9]+$ ]] || { echo "bench: bad size '$v'" >&2; exit 2; }; done
[[ $runs =~ ^[1-9][0-9]*$ && $jobs_max =~ ^[1-9][0-9]*$ && $mem =~ ^[1-9][0-9]*$ ]] ||
	{ echo "bench: --runs, --jobs and --mem take positive integers" >&2; exit 2; }
[[ $icount_sleep == on || $icount_sleep == off ]] || { echo "bench: --icount-sleep takes on or off" >&2; exit 2; }
for m in $modes; do
	case $m in
	floor | classic-zstd | classic-lz4 | initoverlayfs | initoverlayfs-virtio) ;;
	*) echo "bench: unknown mode '$m'" >&2; exit 2 ;;
	esac
done
has_mode() { [[ " $modes " == *" $1 "* ]]; }

blog() { printf 'bench: %s\n' "$*" >&2; }
t_start=$(date +%s)

# --- host packages ----------------------------------------------------------
[[ $(id -u) == 0 ]] || { blog "needs root (mknod, mkfs.ext4 -d with owners, apt-get)"; exit 2; }
bash "$top/scripts/install-deps.sh"
bench_pkgs_missing=()
command -v gnuplot >/dev/null || bench_pkgs_missing+=(gnuplot-nox)
command -v python3 >/dev/null || bench_pkgs_missing+=(python3)
if ((${#bench_pkgs_missing[@]})); then
	blog "installing ${bench_pkgs_missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${bench_pkgs_missing[@]}" >/dev/null 2>&1 || {
		apt-get update -qq && apt-get install -y -qq --no-install-recommends "${bench_pkgs_missing[@]}" >/dev/null
	} || blog "warning: could not install ${bench_pkgs_missing[*]}"
fi
command -v python3 >/dev/null || { blog "python3 is required"; exit 2; }

# --- the build under test ---------------------------------------------------
# Scratch area of our own: other test runs on the machine clean up
# /tmp/iofs-boot.* and must not take a sweep's payloads and disks with them.
# QEMU's snapshot overlays and a --rev export go there too.
export TMPDIR=${BENCH_TMPDIR:-/var/tmp/initoverlayfs-bench}
mkdir -p "$TMPDIR"
src_note=
if [[ -n $rev ]]; then
	# A clean export of one commit: the figures then belong to exactly that
	# commit, whatever the working tree holds meanwhile.
	rev_full=$(git -C "$top" rev-parse --verify "$rev^{commit}") || { blog "no commit $rev"; exit 2; }
	src_dir=$TMPDIR/src-${rev_full:0:12}
	rm -rf "$src_dir"
	mkdir -p "$src_dir"
	git -C "$top" archive "$rev_full" | tar -x -C "$src_dir"
	[[ $build_dir_set == 1 ]] || build_dir=$TMPDIR/build-${rev_full:0:12}
	src_note="commit: $rev_full (built from a clean export of it)"
else
	src_dir=$top
fi
if [[ -z $builder ]]; then
	blog "building initoverlayfs from $src_dir in $build_dir (Release)"
	cmake -S "$src_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build "$build_dir" -j"$(nproc)" --target initoverlayfs initoverlayfs-install >/dev/null
	builder=$build_dir/initoverlayfs-install
fi
BUILDER=$(realpath "$builder")
[[ -x $BUILDER ]] || { blog "$BUILDER is not executable"; exit 2; }
# Fail now rather than after the first payload: a builder that cannot even
# print its version (a tree caught mid-edit) would fail every build.
"$BUILDER" --version >/dev/null 2>&1 || { blog "$BUILDER --version fails; not benchmarking this build"; exit 2; }

# --- shared boot-test infrastructure ----------------------------------------
# shellcheck disable=SC2034 # read by lib/common.sh
BOOT_TEST_NAME=bench
# shellcheck source=tests/boot/lib/common.sh
. "$top/tests/boot/lib/common.sh"
# shellcheck source=tests/boot/lib/kernels.sh
. "$top/tests/boot/lib/kernels.sh"
# shellcheck source=tests/boot/lib/qemu.sh
. "$top/tests/boot/lib/qemu.sh"
# shellcheck source=tests/boot/lib/pair.sh
. "$top/tests/boot/lib/pair.sh"
boot_test_init
# shellcheck disable=SC2034 # read by lib/common.sh
((keep)) && KEEP_TMP=1

# Boots run as background jobs; on exit (or a signal) stop them before the
# scratch directory they read goes away.
_bench_running=()
_bench_on_exit() {
	local pid
	for pid in "${_bench_running[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${_bench_running[@]}"; do wait "$pid" 2>/dev/null || true; done
	_bench_running=()
	_boot_on_exit
}
trap _bench_on_exit EXIT

boot_deps_install || boot_fail "could not install the boot-test packages"
boot_kernels_fetch || boot_fail "could not fetch the kernels"
kver=$K612_VER
moddir=$K612_DIR/lib/modules/$kver
kernel=$K612_DIR/boot/vmlinuz-$kver

if has_mode initoverlayfs-virtio && ! "$BUILDER" --help 2>&1 | grep -q -- '--driver-set'; then
	blog "initoverlayfs-install has no --driver-set option: skipping mode initoverlayfs-virtio"
	modes=$(tr ' ' '\n' <<<"$modes" | grep -vx initoverlayfs-virtio | paste -sd' ')
fi

# --- results directory -------------------------------------------------------
if [[ -z $results ]]; then
	results=$bench_dir/results/$(date +%Y-%m-%d)
	n=2
	base=$results
	while [[ -e $results ]]; do results=$base-$n; n=$((n + 1)); done
fi
mkdir -p "$results/logs" "$results/builds"
results=$(realpath "$results")
rows=$SCRATCH/rows
mkdir -p "$rows"
blog "results go to $results"

quick_flag=''
((quick)) && quick_flag=' --quick'
git_rev=$(git -C "$top" rev-parse HEAD 2>/dev/null || echo unknown)
git_dirty=$(git -C "$top" status --porcelain 2>/dev/null | wc -l)
program=$(dirname "$BUILDER")/initoverlayfs
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "command: bench/run.sh${quick_flag} --sizes \"$sizes\" --runs $runs --modes \"$modes\" --mem $mem --jobs $jobs_max${extra_cmdline:+ --cmdline \"$extra_cmdline\"}${rev:+ --rev $rev}$([[ $icount_sleep == off ]] || echo " --icount-sleep on")"
	if [[ -n $src_note ]]; then
		echo "$src_note"
	elif ((git_dirty)); then
		echo "commit: $git_rev with uncommitted changes ($git_dirty paths changed or new; sha256 of git diff HEAD: $(git -C "$top" diff HEAD | sha256sum | cut -c1-16))"
	else
		echo "commit: $git_rev"
	fi
	echo "builder: $BUILDER ($("$BUILDER" --version 2>&1 | sed -n 1p))"
	[[ -f $program ]] && echo "early-boot program: $program, $(stat -c %s "$program") bytes, sha256 $(sha256sum "$program" | cut -c1-16)"
	echo "host cpu: $(LC_ALL=C lscpu | sed -n 's/^Model name: *//p' | sed -n 1p), $(nproc) cores"
	echo "host memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "host os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
	echo "qemu: $(qemu-system-x86_64 --version | sed -n 1p)"
	echo "guest kernel: $kver ($K612_PKG)"
	echo "guest: TCG -cpu max, -icount shift=0,sleep=$icount_sleep, 1 vCPU, ${mem} MiB RAM, virtio disk, cmdline \"console=ttyS0 panic=-1${extra_cmdline:+ $extra_cmdline}\""
	echo "tools: $(dpkg-query -W -f='${Package} ${Version}, ' zstd lz4 erofs-utils cpio busybox-static 2>/dev/null | sed 's/, $//')"
	echo "payload seed: $seed"
} >"$results/machine.txt"
cat "$results/machine.txt" >&2

# --- artifacts ---------------------------------------------------------------
# Fixed timestamps and UUIDs: the same inputs make the same files.
epoch=1704067200
bootfs_uuid=1e0f5b00-b007-4c0a-9b1e-000000000001
floor_uuid=1e0f5b00-b007-4c0a-9b1e-000000000002

normalize_tree() { find "$1" -exec touch -h -d "@$epoch" {} +; }

cpio_of() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet); }

# base_payload DIR: busybox and the reporting /init, with a fixed token.
base_payload() {
	RANDOM=4242
	pair_payload "$1"
}

echo "size_mib,component,files,bytes" >"$results/content.csv"
echo "size_mib,payload_bytes,payload_files,cpio_bytes,zstd19_bytes,lz4_bytes,erofs_lz4hc_bytes,manifest_sha256" >"$results/compression.csv"

# make_size SIZE: the payload of SIZE MiB and everything booted from it, in
# $SCRATCH/SIZE/. Prints what the content is.
make_size() {
	local size=$1 w=$SCRATCH/$1 digest
	mkdir -p "$w"
	base_payload "$w/payload"
	blog "[$size MiB] generating the payload"
	digest=$(python3 "$bench_dir/payload.py" --out "$w/payload" --size-mib "$size" --seed "$seed" \
		--kmoddir "$moddir" --summary "$w/content.csv" --manifest "$w/manifest.txt")
	normalize_tree "$w/payload"
	tail -n +2 "$w/content.csv" | sed "s/^/$size,/" >>"$results/content.csv"

	blog "[$size MiB] classic initramfs: cpio, zstd -19, lz4 -l -9"
	cpio_of "$w/payload" >"$w/payload.cpio"
	zstd -q -19 -T0 -c "$w/payload.cpio" >"$w/classic-zstd.img"
	lz4 -q -l -9 -c "$w/payload.cpio" >"$w/classic-lz4.img"

	blog "[$size MiB] initoverlayfs pair"
	mkdir -p "$w/disk-content"
	pair_build "$moddir" "$kver" "$w/iofs" --rootdir "$w/payload" \
		--bootfs "UUID=$bootfs_uuid" --bootfstype ext4
	cp "$w/iofs.summary" "$results/builds/initoverlayfs-$size.txt"
	cp "$(pair_image "$w/iofs" "$kver")" "$w/disk-content/"
	if has_mode initoverlayfs-virtio; then
		pair_build "$moddir" "$kver" "$w/iofs-virtio" --rootdir "$w/payload" \
			--bootfs "UUID=$bootfs_uuid" --bootfstype ext4 --driver-set minimal \
			--image-name "initoverlayfs-$kver-virtio.img"
		cp "$w/iofs-virtio.summary" "$results/builds/initoverlayfs-virtio-$size.txt"
		cp "$(pair_image "$w/iofs-virtio" "$kver-virtio")" "$w/disk-content/"
	fi
	local content_mib
	content_mib=$(du -sm --apparent-size "$w/disk-content" | cut -f1)
	disk_ext4_make "$w/disk.img" $((content_mib + content_mib / 10 + 64)) boot "$bootfs_uuid" "$w/disk-content"

	local files payload_bytes
	files=$(find "$w/payload" -type f | wc -l)
	payload_bytes=$(find "$w/payload" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	printf '%s,%s,%s,%s,%s,%s,%s,%s\n' "$size" "$payload_bytes" "$files" \
		"$(stat -c %s "$w/payload.cpio")" "$(stat -c %s "$w/classic-zstd.img")" \
		"$(stat -c %s "$w/classic-lz4.img")" "$(stat -c %s "$(pair_image "$w/iofs" "$kver")")" \
		"$digest" >>"$results/compression.csv"
	echo "$payload_bytes" >"$w/payload_bytes"
	awk -F, -v s="$size" 'NR > 1 { printf "bench: [%s MiB]   %-10s %6s files %8.1f MiB\n", s, $1, $2, $3 / 1048576 }' "$w/content.csv" >&2
	awk -v s="$size" -v p="$payload_bytes" -v c="$(stat -c %s "$w/payload.cpio")" \
		-v z="$(stat -c %s "$w/classic-zstd.img")" -v l="$(stat -c %s "$w/classic-lz4.img")" \
		-v e="$(stat -c %s "$(pair_image "$w/iofs" "$kver")")" 'BEGIN {
		printf "bench: [%s MiB]   payload %.1f MiB, cpio %.1f MiB; zstd -19 %.1f MiB (%.2fx), lz4 -l -9 %.1f MiB (%.2fx), EROFS lz4hc %.1f MiB (%.2fx)\n",
			s, p / 1048576, c / 1048576, z / 1048576, c / z, l / 1048576, c / l, e / 1048576, c / e }' >&2
	rm -rf "$w/payload" "$w/payload.cpio" "$w/disk-content"
}

# component_ratios SIZE: compresses each component of the SIZE payload on
# its own (zstd -19, lz4 -l -9); kept apart from make_size because it costs
# another compression of the whole payload.
component_ratios() {
	local size=$1 w=$SCRATCH/components
	rm -rf "$w"
	mkdir -p "$w"
	base_payload "$w/payload"
	python3 "$bench_dir/payload.py" --out "$w/payload" --size-mib "$size" --seed "$seed" \
		--kmoddir "$moddir" --summary "$w/content.csv" --manifest "$w/manifest.txt" >/dev/null
	echo "sample_size_mib,component,bytes,zstd19_bytes,lz4_bytes" >"$results/components.csv"
	local comp paths raw z l
	for comp in modules libraries firmware text; do
		case $comp in
		modules) paths="./lib/modules" ;;
		libraries) paths="./usr/lib/x86_64-linux-gnu" ;;
		firmware) paths="./lib/firmware" ;;
		text) paths=$(cd "$w/payload" && find ./usr/include ./usr/lib/python3* ./usr/share/perl* -maxdepth 0 2>/dev/null | paste -sd' ') ;;
		esac
		[[ -n $paths ]] || continue
		# shellcheck disable=SC2086 # several paths
		(cd "$w/payload" && find $paths -type f 2>/dev/null | LC_ALL=C sort |
			cpio -o -H newc -R 0:0 --reproducible --quiet) >"$w/c.cpio"
		raw=$(stat -c %s "$w/c.cpio")
		((raw > 512)) || continue
		z=$(zstd -q -19 -T0 -c "$w/c.cpio" | wc -c)
		l=$(lz4 -q -l -9 -c "$w/c.cpio" | wc -c)
		echo "$size,$comp,$raw,$z,$l" >>"$results/components.csv"
		awk -v c="$comp" -v r="$raw" -v z="$z" -v l="$l" 'BEGIN {
			printf "bench: component %-10s %7.1f MiB  zstd -19 %.2fx  lz4 -l -9 %.2fx\n", c, r / 1048576, r / z, r / l }' >&2
	done
	rm -rf "$w"
}

make_floor() {
	local w=$SCRATCH/floor
	mkdir -p "$w"
	base_payload "$w/tree"
	normalize_tree "$w/tree"
	# Compressed from a file, like the classic modes: zstd then records the
	# content size in the frame header. A streamed frame (cpio | zstd) boots
	# as fast but leaves about 10 MiB less MemAvailable (measured on 6.12).
	cpio_of "$w/tree" >"$w/floor.cpio"
	zstd -q -19 -T0 -c "$w/floor.cpio" >"$w/floor.img"
	disk_ext4_make "$w/disk.img" 16 floor "$floor_uuid" ""
	find "$w/tree" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }' >"$w/payload_bytes"
	rm -rf "$w/tree"
}

# --- one boot ------------------------------------------------------------------
# bench_boot MODE SIZE RUN: boots, parses the console log, writes one CSV row
# to $rows. Run in a background subshell.
bench_boot() {
	local mode=$1 size=$2 run=$3 w initrd image='' disk log
	case $mode in
	floor) w=$SCRATCH/floor initrd=$w/floor.img ;;
	classic-zstd | classic-lz4) w=$SCRATCH/$size initrd=$w/$mode.img ;;
	initoverlayfs) w=$SCRATCH/$size initrd=$w/iofs/initramfs-$kver.img image=$(pair_image "$w/iofs" "$kver") ;;
	initoverlayfs-virtio) w=$SCRATCH/$size initrd=$w/iofs-virtio/initramfs-$kver.img image=$(pair_image "$w/iofs-virtio" "$kver-virtio") ;;
	esac
	disk=$w/disk.img
	log=$results/logs/$mode-$size-r$run.log
	local rc=0 words=() icount=1 qargs=()
	# shellcheck disable=SC2206 # words of the command line
	[[ -n $extra_cmdline ]] && words=($extra_cmdline)
	# qemu_boot's QEMU_ICOUNT=1 means sleep=off; sleep=on is passed by hand.
	# shellcheck disable=SC2054 # the comma is part of the option value
	[[ $icount_sleep == on ]] && icount=0 qargs=(-icount shift=0,sleep=on)
	# snapshot=on: every QEMU gets a private overlay of the disk, so two
	# boots can read the same image at once (no image lock conflict) and
	# the guest still sees a writable disk, as on a real machine.
	QEMU_ICOUNT=$icount QEMU_MEM=$mem QEMU_TIMEOUT=${BENCH_QEMU_TIMEOUT:-1500} \
		qemu_boot "$kernel" "$initrd" "$log" "${words[@]}" -- \
		-drive "file=$disk,format=raw,if=virtio,snapshot=on" "${qargs[@]}" || rc=$?
	local clean init_s run_init ready ready_at mods mem ok=1
	clean=$(tr -d '\r' <"$log")
	# first RE: the first line matching RE, rewritten to RE's groups. (Not
	# head(1): its early exit would fail the pipeline.)
	first() { sed -n "s/$1/\\1/p" <<<"$clean" | sed -n 1p; }
	init_s=$(first '.*PAYLOAD-INIT-RAN pid=[0-9]* uptime=\([0-9.]*\).*')
	mem=$(first '.*PAYLOAD-MEM MemAvailable: *\([0-9]*\).*')
	run_init=$(first '^\[ *\([0-9.]*\)\] Run \/init .*')
	ready_at=$(first '^\[ *\([0-9.]*\)\] initoverlayfs: ready in .*')
	ready=$(first '.*initoverlayfs: ready in \([0-9.]* ms (modules [0-9.]* ms, device [0-9.]* ms, mount [0-9.]* ms, switch [0-9.]*\) ms).*' |
		sed 's/ ms (modules /,/; s/ ms, device /,/; s/ ms, mount /,/; s/ ms, switch /,/')
	mods=$(first '.*initoverlayfs: modules: \([0-9]* of [0-9]*\) loaded.*' | sed 's/ of /\//')
	[[ -n $init_s && -n $mem ]] || ok=0
	grep -q 'Kernel panic' <<<"$clean" && ok=0
	[[ -n $ready ]] || ready=",,,,"
	((ok)) || blog "FAILED boot: $mode $size MiB run $run (qemu exit $rc), see $log"
	local image_bytes=
	[[ -n $image ]] && image_bytes=$(stat -c %s "$image")
	printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' \
		"$mode" "$size" "$run" "$ok" "$init_s" "$run_init" "$ready_at" "$ready" "$mods" \
		"$mem" "$(<"$w/payload_bytes")" "$(stat -c %s "$initrd")" "$image_bytes" \
		"$QEMU_BOOT_WALL" "logs/${log##*/}" >"$rows/$mode.$size.$run.csv"
	blog "booted $mode $size MiB run $run: payload init at ${init_s:-?} s, MemAvailable ${mem:-?} kB, wall ${QEMU_BOOT_WALL} s"
}
csv_header="mode,size_mib,run,ok,init_s,run_init_s,ready_at_s,ready_ms,modules_ms,device_ms,mount_ms,switch_ms,modules_loaded,mem_available_kib,payload_bytes,initrd_bytes,image_bytes,wall_s,log"

bench_reap_one() {
	local done_pid='' pid
	wait -n -p done_pid "${_bench_running[@]}" || true
	local -a keep=()
	for pid in "${_bench_running[@]}"; do
		[[ $pid == "$done_pid" ]] || keep+=("$pid")
	done
	_bench_running=("${keep[@]}")
}

bench_spawn() {
	while ((${#_bench_running[@]} >= jobs_max)); do bench_reap_one; done
	(
		trap 'qemu_kill_running; exit 143' TERM
		bench_boot "$@"
	) &
	_bench_running+=($!)
}

bench_wait_all() { while ((${#_bench_running[@]})); do bench_reap_one; done; }

# --- the sweep -----------------------------------------------------------------
if has_mode floor; then
	blog "floor: tiny busybox initramfs"
	make_floor
	for ((r = 1; r <= runs; r++)); do bench_spawn floor 0 "$r"; done
	bench_wait_all
fi
for size in $sizes; do
	make_size "$size"
	for ((r = 1; r <= runs; r++)); do
		for m in $modes; do
			[[ $m == floor ]] && continue
			bench_spawn "$m" "$size" "$r"
		done
	done
	bench_wait_all
	((keep)) || rm -rf "${SCRATCH:?}/$size"
done
# Per-component compression ratios, measured on one representative size.
sample=
for size in $sizes; do ((size > 0 && size <= 256)) && sample=$size; done
[[ -n $sample ]] && component_ratios "$sample"

# --- results -------------------------------------------------------------------
failed=0
{
	echo "$csv_header"
	for m in $modes; do
		for size in $( [[ $m == floor ]] && echo 0 || echo "$sizes"); do
			for ((r = 1; r <= runs; r++)); do
				f=$rows/$m.$size.$r.csv
				if [[ -s $f ]]; then
					cat "$f"
				else
					echo "$m,$size,$r,0,,,,,,,,,,,,,,,"
				fi
			done
		done
	done
} >"$results/results.csv"
failed=$(awk -F, 'NR > 1 && $4 != 1' "$results/results.csv" | wc -l)

python3 "$bench_dir/report.py" "$results"
if grep -qx 'nblocks = 0' "$results/plot-vars.gp"; then
	blog "no successful boot to plot"
elif command -v gnuplot >/dev/null; then
	gnuplot -e "dir='$results'" "$bench_dir/plot.gp" || blog "warning: gnuplot failed"
else
	blog "warning: gnuplot missing, no plots"
fi
cat "$results/summary.md"
t_end=$(date +%s)
blog "sweep took $(((t_end - t_start) / 60)) min $(((t_end - t_start) % 60)) s; results in $results"
if ((failed)); then
	blog "$failed boot(s) failed: the payload's init never ran (see $results/logs)"
	exit 1
fi
