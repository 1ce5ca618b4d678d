// The shells PID 1 offers: the failure action "shell" and the break point
// (initoverlayfs.break, like dracut's rd.break).
//
// Which shell, in this order:
//   1. the image's own /bin/sh, once the image is mounted: before the switch
//      in a child chrooted into the new root, with /dev, /proc, /sys and
//      /run bound into it in a mount namespace of the child's own (PID 1's
//      mounts stay as they are); after the switch the image is / already;
//   2. the mini initramfs's /bin/sh: none unless the builder put the rescue
//      shell there (initoverlayfs-install --rescue-shell, a static busybox).
//      After the switch the initramfs is being freed, so that file is kept
//      open from the moment the image is mounted and run from its fd;
//   3. none: the reason is logged and the caller halts.
// The shell runs on the console (fds 0-2 as the kernel gave them to PID 1,
// else /dev/console) in a session of its own, with the console as its
// controlling terminal where that works.
#pragma once

#include <string>

#include "core/config.h"
#include "core/error.h"

namespace iofs {

// Where the builder puts the rescue shell in the mini initramfs, with
// kRescueShell (and the applets it links, mini_initramfs.h) pointing at it.
inline constexpr const char* kRescueBusybox = "/bin/busybox";
inline constexpr const char* kRescueShell = "/bin/sh";

// Tells the shells that the image's root is mounted at new_root (before
// the switch; after it, the same root is "/"), and keeps the mini
// initramfs's rescue shell open if it has one. Called once, by main, right
// after the new root is mounted. Fails only through its test seam:
// INITOVERLAYFS_TEST_FAIL=after-mount in PID 1's environment (the kernel
// command line) makes it fail, so the tests reach a failure with the
// image mounted (tests/namespace/fail_shell_image.sh).
Result<void> set_failure_context(const std::string& new_root) noexcept;

// The failure action "shell": runs a shell (see above) and starts it again
// whenever it exits, never returning; returns only when there is no shell,
// after logging why. Allocates nothing once it has chosen the shell, and
// catches what could throw before that.
void run_failure_shell(const Error& error) noexcept;

// The break point: when `at` is pre_switch, runs the image's shell and
// returns when it exits, so the boot goes on; without a shell it logs why
// and returns at once.
void break_if_asked(BreakPoint at, const std::string& new_root) noexcept;

}  // namespace iofs
