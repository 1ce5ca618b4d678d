// Leaving PID 1: exec the next init, or take the failure action.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
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

// Makes sure fds 0-2 are the console and execs `path` (chosen before the
// switch, next_init.h), with argv[1..] and envp exactly as the kernel gave
// them to us. Returns only when it could not be run.
Error exec_next_init(const std::string& path, char** argv, char** envp);

// What happens after a fatal error when nothing was configured.
FailureAction default_failure_action();

// Logs the error and carries out the action. Never returns.
[[noreturn]] void take_failure_action(const Error& error, FailureAction action);

}  // namespace iofs
