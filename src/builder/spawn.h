// Running the well-kept tools the builder relies on (mkfs.erofs, dracut,
// gzip, ...) without a shell: argv as given, exit status checked.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace iofs {

struct SpawnIo {
  std::string stdin_path;   // empty: inherit
  std::string stdout_path;  // empty: inherit; created/truncated otherwise
  bool quiet = false;       // stdout to /dev/null (when stdout_path empty)
  bool quiet_stderr = false;  // stderr to /dev/null (tools that chat there)
};

// Runs argv[0] (searched in PATH) and waits; an Error unless it exits 0.
Result<void> run_program(const std::vector<std::string>& argv, const SpawnIo& io = {});

bool program_exists(const std::string& name);

}  // namespace iofs
