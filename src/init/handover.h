// Leaving PID 1: exec the next init, or take the failure action.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/next_init.h"

namespace iofs {

// Makes sure fds 0-2 are the console and execs `path` (chosen before the
// switch, next_init.h), with argv[1..] and envp exactly as the kernel gave
// them to us. Returns only when it could not be run.
Error exec_next_init(const std::string& path, char** argv, char** envp);

// What happens after a fatal error when nothing was configured.
FailureAction default_failure_action();

// Logs the error and carries out the action. Never returns.
[[noreturn]] void take_failure_action(const Error& error, FailureAction action);

}  // namespace iofs
