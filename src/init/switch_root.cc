#include "init/switch_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

// Deletes everything below dirfd that is on device `dev`; never descends
// into another filesystem (a mount point left behind) or follows symlinks.
void delete_tree(int dirfd, dev_t dev) {
  int dup_fd = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return;
  DIR* dir = ::fdopendir(dup_fd);
  if (!dir) {
    ::close(dup_fd);
    return;
  }
  while (struct dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (st.st_dev != dev) continue;
    if (S_ISDIR(st.st_mode)) {
      int sub = ::openat(dirfd, e->d_name,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) continue;
      delete_tree(sub, dev);
      ::close(sub);
      (void)::unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
    } else {
      (void)::unlinkat(dirfd, e->d_name, 0);
    }
  }
  ::closedir(dir);
}

}  // namespace

Result<void> prepare_mount_points(const std::string& new_root) {
  UniqueFd root = TRY(sys::open(new_root, O_PATH | O_DIRECTORY));
  for (const char* api : kApiMounts) {
    const char* name = api + 1;  // one level below the root: no symlinks on the way
    std::string target = new_root + api;
    struct stat st;
    if (::fstatat(root.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return sys_error("stat", target);
      if (::mkdirat(root.get(), name, 0755) != 0) return sys_error("mkdir", target);
      continue;
    }
    if (!S_ISDIR(st.st_mode))
      return fail("mount point", str(target, S_ISLNK(st.st_mode) ? " (a symlink)" : ""), ENOTDIR);
  }
  return {};
}

Result<SwitchedRoot> switch_root(const std::string& new_root) {
  // MS_MOVE fails when the parent mount is shared (see mount(2), EINVAL);
  // the kernel's rootfs is private, but a container's / may not be.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return sys_error("make private", "/");

  SwitchedRoot switched;
  for (const char* api : kApiMounts) {
    std::string target = new_root + api;
    auto moved = sys::make_dir(target);
    if (moved) moved = sys::move_mount(api, target);
    if (!moved) {
      // The next init mounts its own; ours must not stay hidden below.
      switched.not_moved.push_back(moved.error());
      (void)::umount2(api, MNT_DETACH);
    }
  }

  if (::chdir(new_root.c_str()) != 0) return sys_error("chdir", new_root);
  UniqueFd old_root = TRY(sys::open("/", O_RDONLY | O_DIRECTORY));
  struct statfs sfs;
  struct stat st;
  bool old_is_ram = ::fstatfs(old_root.get(), &sfs) == 0 &&
                    ::fstat(old_root.get(), &st) == 0 &&
                    (sfs.f_type == RAMFS_MAGIC || sfs.f_type == TMPFS_MAGIC);

  TRY(sys::move_mount(new_root, "/"));
  if (::chroot(".") != 0) return sys_error("chroot", new_root);
  if (::chdir("/") != 0) return sys_error("chdir", "/");

  if (!old_is_ram) return switched;
  pid_t pid = ::fork();
  if (pid < 0) {
    switched.cleanup = OldRootCleanup::fork_failed;
    switched.cleanup_failure = Error{"fork", "old root cleanup", errno};
    return switched;
  }
  if (pid == 0) {
    ::prctl(PR_SET_NAME, kCleanupProcessName);
    delete_tree(old_root.get(), st.st_dev);
    ::_exit(0);
  }
  switched.cleanup = OldRootCleanup::started;
  return switched;
}

}  // namespace iofs
