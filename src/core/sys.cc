#include "core/sys.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "core/strings.h"

namespace iofs::sys {

Result<UniqueFd> open(const std::string& path, int flags, mode_t mode) {
  return open_at(AT_FDCWD, path, flags, mode);
}

Result<UniqueFd> open_at(int dirfd, const std::string& path, int flags,
                         mode_t mode) {
  int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return sys_error("open", path);
  return UniqueFd(fd);
}

Result<UniqueFd> openat2(int dirfd, const std::string& path, int flags,
                         uint64_t resolve) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = resolve;
  for (int attempt = 0;; ++attempt) {
    long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno != EAGAIN || attempt == 8) return sys_error("openat2", path);
  }
}

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  UniqueFd fd = TRY(open(path, O_RDONLY));
  std::string data;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read", path);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > max_bytes) return fail("read", path, EFBIG);
  }
  return data;
}

Result<void> write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("write", what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<void> copy_fd(int from, int to, const std::string& what) {
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = ::read(from, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read", what);
    }
    if (n == 0) return {};
    TRY(write_all(to, std::string_view(buf).substr(0, static_cast<size_t>(n)), what));
  }
}

Result<void> make_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0) return {};
  if (errno == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    errno = EEXIST;
  }
  return sys_error("mkdir", path);
}

Result<void> make_dirs(const std::string& path, mode_t mode) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (path[i - 1] == '/') continue;
      TRY(make_dir(path.substr(0, i), mode));
    }
  }
  return {};
}

Result<void> mount(const std::string& source, const std::string& target,
                   const std::string& fstype, unsigned long flags,
                   const std::string& data) {
  if (::mount(source.c_str(), target.c_str(),
              fstype.empty() ? nullptr : fstype.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) == 0)
    return {};
  return sys_error("mount", str(source, " on ", target, " (", fstype, ")"));
}

Result<void> move_mount(const std::string& from, const std::string& to) {
  if (::mount(from.c_str(), to.c_str(), nullptr, MS_MOVE, nullptr) == 0)
    return {};
  return sys_error("move mount", str(from, " to ", to));
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

bool is_executable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

int64_t boottime_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

int64_t ms_since(int64_t t0_ns) { return (boottime_ns() - t0_ns) / 1000000; }

std::string kernel_release() {
  struct utsname u;
  if (::uname(&u) != 0) return {};
  return u.release;
}

}  // namespace iofs::sys
