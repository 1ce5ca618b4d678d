#include "init/release_watcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>


#include "core/log.h"
#include "core/mountinfo.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

// The ID of the mount `path` (relative to dirfd; "" for dirfd itself) is on.
std::optional<int> mount_id(int dirfd, const char* path) {
  struct statx sx {};
  int flags = *path ? 0 : AT_EMPTY_PATH;
  if (::statx(dirfd, path, flags, STATX_MNT_ID, &sx) != 0 || !(sx.stx_mask & STATX_MNT_ID))
    return std::nullopt;
  return static_cast<int>(sx.stx_mnt_id);
}

bool same_inode(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

[[noreturn]] void watch(std::vector<UniqueFd> overlays) {
  ::prctl(PR_SET_NAME, kReleaseProcessName);
  // Taken now: the next init moves /proc away from our root.
  auto own_root = sys::open("/", O_PATH | O_DIRECTORY);
  auto pid1 = sys::open("/proc/1", O_PATH | O_DIRECTORY);
  auto mountinfo = sys::open("/proc/self/mountinfo", O_RDONLY);
  struct stat root_st;
  if (!own_root || !pid1 || !mountinfo || ::fstat(own_root->get(), &root_st) != 0) {
    log::warning("release watcher: cannot watch /proc/1; the initrd's overlays stay mounted");
    ::_exit(1);
  }
  auto pid1_left = [&] {
    struct stat st;
    return ::fstatat(pid1->get(), "root", &st, 0) == 0 && !same_inode(st, root_st);
  };
  // Every mount change wakes us (proc(5), /proc/PID/mountinfo: POLLPRI);
  // run-init chroots right after its MS_MOVE, so look again for a moment.
  int quick_looks = 0;
  while (!pid1_left()) {
    struct pollfd p {mountinfo->get(), POLLPRI, 0};
    int timeout_ms = quick_looks > 0 ? 10 : -1;
    if (::poll(&p, 1, timeout_ms) > 0) quick_looks = 200;
    else if (quick_looks > 0) --quick_looks;
  }

  std::string table;
  char buf[4096];
  ssize_t n;
  while ((n = ::pread(mountinfo->get(), buf, sizeof buf, static_cast<off_t>(table.size()))) > 0)
    table.append(buf, static_cast<size_t>(n));
  auto parents = parse_mount_parents(table);
  auto real_root = mount_id(pid1->get(), "root");

  int released = 0;
  for (UniqueFd& fd : overlays) {
    auto id = mount_id(fd.get(), "");
    // The real root mounted under one of ours: detaching that would take
    // the real root with it.
    if (!id || !real_root || mount_is_within(parents, *real_root, *id)) {
      log::warning("release watcher: the real root is mounted under an overlay; leaving it");
      continue;
    }
    if (::fchdir(fd.get()) == 0 && ::umount2(".", MNT_DETACH) == 0) ++released;
    (void)::fchdir(own_root->get());
    fd.reset();
  }
  log::info("released ", released, " of ", overlays.size(),
            " overlays after PID 1 left the initrd");
  ::_exit(0);
}

}  // namespace

Result<void> start_release_watcher(std::vector<UniqueFd> overlays) {
  if (overlays.empty()) return {};
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork", "release watcher");
  if (pid == 0) watch(std::move(overlays));
  return {};
}

}  // namespace iofs
