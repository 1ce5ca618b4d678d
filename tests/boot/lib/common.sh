# shellcheck shell=bash
# Shared prologue for the QEMU boot tests: strict mode, an ERR trap that names
# the failing command, a scratch directory removed on exit, and small
# assertion helpers. Source it first, then lib/kernels.sh and lib/qemu.sh.
#
#   . "$(dirname "$0")/lib/common.sh"
#   boot_test_init            # sets SCRATCH, installs the traps
#
# Environment:
#   KEEP_TMP=1   keep $SCRATCH (console logs, images) after the test ends.

set -Eeuo pipefail
shopt -s inherit_errexit # $(...) fails like any other command

BOOT_TEST_NAME=${BOOT_TEST_NAME:-$(basename "${0:-boot-test}")}

boot_log() { printf '%s: %s\n' "$BOOT_TEST_NAME" "$*" >&2; }

# Prints the failure reason and exits non-zero. Test scripts end through here
# so that every failure says what was expected.
boot_fail() {
	printf '%s: FAIL: %s\n' "$BOOT_TEST_NAME" "$*" >&2
	exit 1
}

boot_skip() {
	printf '%s: SKIP: %s\n' "$BOOT_TEST_NAME" "$*" >&2
	exit 0
}

_boot_on_err() {
	local rc=$? cmd=$BASH_COMMAND
	printf '%s: error: command failed (exit %d) at %s:%s: %s\n' \
		"$BOOT_TEST_NAME" "$rc" "${BASH_SOURCE[1]:-?}" "${BASH_LINENO[0]:-?}" "$cmd" >&2
}

_boot_on_exit() {
	trap - ERR
	# A QEMU still running here means the test was interrupted mid-boot.
	if declare -F qemu_kill_running >/dev/null; then
		qemu_kill_running
	fi
	if [[ -n ${SCRATCH:-} && -d $SCRATCH ]]; then
		if [[ ${KEEP_TMP:-0} == 1 ]]; then
			boot_log "kept scratch dir $SCRATCH"
		else
			rm -rf -- "$SCRATCH"
		fi
	fi
}

boot_test_init() {
	SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/iofs-boot.XXXXXX")
	trap _boot_on_err ERR
	trap _boot_on_exit EXIT
	# Without these, a signal would end bash without running the EXIT trap's
	# cleanup reliably (and a QEMU in the background would keep running).
	trap 'trap - ERR; boot_log "interrupted"; exit 130' INT
	trap 'trap - ERR; boot_log "terminated"; exit 143' TERM HUP
}

# console_expect LOG ERE WHAT: fails the test, showing the end of the console
# log, unless LOG contains a line matching ERE.
console_expect() {
	local log=$1 re=$2 what=$3
	if ! grep -Eq -- "$re" "$log"; then
		console_dump "$log"
		boot_fail "$what: no line matching /$re/ in console log $log"
	fi
}

# console_reject LOG ERE WHAT: fails the test if LOG contains a matching line.
console_reject() {
	local log=$1 re=$2 what=$3
	if grep -Eq -- "$re" "$log"; then
		console_dump "$log"
		boot_fail "$what: console log $log has a line matching /$re/"
	fi
}

console_dump() {
	local log=$1
	printf -- '----- last 40 lines of %s -----\n' "$log" >&2
	tail -n 40 -- "$log" | tr -d '\r' >&2 || true
	printf -- '----- end of %s -----\n' "$log" >&2
}
