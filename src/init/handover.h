// Leaving PID 1: exec the next init, or take the failure action.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"

namespace iofs {

// The programs tried as the next init, in the kernel's order
// (init/main.c kernel_init()): an explicit choice first, then rdinit=,
// then the usual places.
std::vector<std::string> init_candidates(const std::string& configured,
                                         const std::string& rdinit);

// Makes sure fds 0-2 are the console and execs the first candidate that runs,
// with argv[1..] and envp exactly as the kernel gave them to us. Returns
// only when none could be run. A candidate that is there but does not run
// (not ENOENT) is passed to on_skipped before the next is tried: once a
// later one runs, nothing returns to say so.
Error exec_next_init(const std::vector<std::string>& candidates, char** argv,
                     char** envp,
                     const std::function<void(const Error&)>& on_skipped = {});

// What happens after a fatal error when nothing was configured.
FailureAction default_failure_action();

// Logs the error and carries out the action. Never returns.
[[noreturn]] void take_failure_action(const Error& error, FailureAction action);

}  // namespace iofs
