// Thin wrappers around the system calls initoverlayfs uses. Each returns a
// Result whose Error names the call, its object and errno; every fd is
// opened O_CLOEXEC so nothing leaks into the init we exec.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/unique_fd.h"

namespace iofs::sys {

Result<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0);
Result<UniqueFd> open_at(int dirfd, const std::string& path, int flags,
                         mode_t mode = 0);
// openat2(2) (Linux >= 5.6): opens `path` below dirfd, resolved as the
// RESOLVE_* bits of `resolve` say (RESOLVE_IN_ROOT: absolute symlinks and
// ".." stay inside dirfd). O_CLOEXEC is added. EAGAIN, which a concurrent
// rename gives RESOLVE_IN_ROOT and RESOLVE_BENEATH, is retried as openat2(2)
// asks; ENOSYS (an older kernel, or valgrind) is returned as it is.
Result<UniqueFd> openat2(int dirfd, const std::string& path, int flags,
                         uint64_t resolve);

// Reads a whole file; fails with EFBIG past max_bytes.
Result<std::string> read_file(const std::string& path,
                              size_t max_bytes = 16 << 20);
Result<void> write_all(int fd, std::string_view data, const std::string& what);
// Copies from `from`'s offset to its end onto `to`, 1 MiB at a time.
Result<void> copy_fd(int from, int to, const std::string& what);

// mkdir that treats an existing directory as success.
Result<void> make_dir(const std::string& path, mode_t mode = 0755);
// mkdir -p.
Result<void> make_dirs(const std::string& path, mode_t mode = 0755);

Result<void> mount(const std::string& source, const std::string& target,
                   const std::string& fstype, unsigned long flags,
                   const std::string& data = {});
Result<void> move_mount(const std::string& from, const std::string& to);

bool exists(const std::string& path);
bool is_executable(const std::string& path);

// Nanoseconds since boot (CLOCK_BOOTTIME), the clock kmsg timestamps use.
int64_t boottime_ns();
// Whole milliseconds from t0_ns, a boottime_ns() value, to now.
int64_t ms_since(int64_t t0_ns);

// The kernel release (uname -r).
std::string kernel_release();

}  // namespace iofs::sys
