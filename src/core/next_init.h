// Choosing the next init inside the new root, before anything irreversible.
//
// Init mode switches root and then execs; service mode has systemd's
// switch-root tear the initramfs down before it executes the new root's
// init. In both, a missing or unreadable init found only at exec time is a
// dead machine (a kernel panic, or a hang no one can read), so the
// candidates are checked inside the new root first, while the failure
// action can still run with the initramfs intact.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace iofs {

// The programs tried as the next init, in the kernel's order
// (init/main.c kernel_init()): an explicit choice first, then rdinit=,
// then the usual places. Unlike the kernel's, the list ends without
// /bin/sh: an image with no init of its own is a failure to report, not a
// shell to drop into silently (a configured init=/bin/sh still runs it).
std::vector<std::string> init_candidates(const std::string& configured,
                                         const std::string& rdinit);

// Why `chosen` (one of init_candidates(configured, rdinit)) is the next
// init, for the log: "the init key or ...", "rdinit=" or "first of the
// kernel's order: /init, ...".
std::string init_choice_reason(const std::string& chosen, const std::string& configured,
                               const std::string& rdinit);


struct NextInit {
  std::string path;
  // The candidates before it that cannot run, each with why, as
  // "PATH (REASON), ..."; empty when the first one was chosen.
  std::string skipped;
};

// The first of `candidates` (init_candidates() above) that can run:
// inside new_root, resolved as if new_root were "/" (absolute symlinks,
// such as a dracut initramfs's /init -> /usr/lib/systemd/systemd, resolve
// there), an executable regular file whose first page (up to 4 KiB) reads
// back. That read is what a truncated or damaged image fails (EUCLEAN,
// EIO) where a stat still succeeds, and what execve() would fail on after
// the switch. Fails naming each candidate tried and why; a symlink whose
// target is missing is named as such.
Result<NextInit> choose_next_init(const std::string& new_root,
                                  const std::vector<std::string>& candidates);

}  // namespace iofs
