#include "init/udev_link_wait.h"

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <optional>

#include "core/strings.h"
#include "core/sys.h"
#include "init/udev_link_names.h"

namespace iofs {
namespace {

// The block device the spec names, if udev has made its link (or, for a
// /dev path, if the node exists).
std::optional<std::string> look_up(const DeviceSpec& spec) {
  auto block_device = [](const std::string& path) -> std::optional<std::string> {
    char resolved[PATH_MAX];
    struct stat st;
    if (!::realpath(path.c_str(), resolved) || ::stat(resolved, &st) != 0 || !S_ISBLK(st.st_mode))
      return std::nullopt;
    return std::string(resolved);
  };
  if (spec.key == DeviceKey::path) return block_device(spec.value);
  if (auto dev = block_device(udev_link_path(spec))) return dev;
  const std::string dir = udev_link_dir(spec.key);
  if (spec.key != DeviceKey::uuid && spec.key != DeviceKey::partuuid) return std::nullopt;
  // UUIDs match without regard to case; the link has the case blkid read.
  DIR* d = ::opendir(dir.c_str());
  if (!d) return std::nullopt;
  std::optional<std::string> found;
  while (struct dirent* e = ::readdir(d))
    if (e->d_name[0] != '.' && spec.matches(e->d_name) && (found = block_device(dir + "/" + e->d_name)))
      break;
  ::closedir(d);
  return found;
}

// What udev has linked, for the error when the device never comes.
std::string links_seen(const DeviceSpec& spec) {
  const std::string dir = spec.key == DeviceKey::path ? "/dev/disk/by-uuid" : udev_link_dir(spec.key);
  std::string s;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') s += str(s.empty() ? "" : ", ", e->d_name);
    ::closedir(d);
  }
  return str(dir, ": ", s.empty() ? "none" : s);
}

}  // namespace

Result<std::string> wait_for_udev_link(const DeviceSpec& spec, std::chrono::milliseconds timeout,
                                       UniqueFd udev_events) {
  const int64_t deadline = sys::boottime_ns() + timeout.count() * 1000000;
  // udev's messages are not read: each one only means "look again".
  char buf[8192];
  for (;;) {
    if (auto dev = look_up(spec)) return *dev;
    int64_t left_ms = (deadline - sys::boottime_ns()) / 1000000;
    if (left_ms <= 0) break;
    if (!udev_events.valid()) {
      ::usleep(static_cast<useconds_t>(std::min<int64_t>(left_ms, 1000)) * 1000);
      continue;
    }
    struct pollfd p {udev_events.get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left_ms));
    if (n < 0 && errno != EINTR) return sys_error("poll", "udev netlink monitor");
    // Drain: every queued event is covered by the one look that follows
    // (ENOBUFS, events lost, is covered the same way).
    while (::recv(udev_events.get(), buf, sizeof buf, 0) >= 0 || errno == ENOBUFS) {
    }
  }
  return fail("boot filesystem", str(spec.to_string(), " not found within ", timeout.count(),
                                     " ms; udev links in ", links_seen(spec)));
}

}  // namespace iofs
