// Running the well-kept tools the builder relies on (mkfs.erofs, dracut,
// gzip, ...) without a shell: argv as given, exit status checked.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace iofs {

struct SpawnIo {
  std::string stdin_path;   // empty: inherit
  // Empty: inherit. Otherwise a new file: created O_EXCL|O_NOFOLLOW (0600),
  // so an existing file or a symlink planted there is an error, not a target.
  std::string stdout_path;
  bool quiet = false;       // stdout to /dev/null (when stdout_path empty)
  bool quiet_stderr = false;  // stderr to /dev/null (tools that chat there)
  int stdout_fd = -1;       // >= 0: the child's stdout is this open file
  // Written to the child's stdin through a pipe (no file on disk), all of
  // it before stdout_capture is read: together only for small data.
  std::optional<std::string_view> stdin_data;
  // Receives the child's stdout through a pipe (no file on disk); at most
  // 16 MiB, for tools that print a report (dumpe2fs, veritysetup).
  std::string* stdout_capture = nullptr;
};

// Runs argv[0] (searched in PATH) and waits; an Error unless it exits 0.
// The child leads its own process group, which a SIGINT, SIGTERM or SIGHUP
// to the builder is forwarded to as SIGTERM (interrupt.h); no child is
// started once such a signal has arrived.
Result<void> run_program(const std::vector<std::string>& argv, const SpawnIo& io = {});

bool program_exists(const std::string& name);

}  // namespace iofs
