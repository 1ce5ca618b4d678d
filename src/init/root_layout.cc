#include "init/root_layout.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>

#include "core/log.h"
#include "core/strings.h"
#include "core/sys.h"
#include "init/mounts.h"

namespace iofs {
namespace {

// Gives `path` the owner and mode of `like` (an overlay's root directory
// takes them from its upper directory; the tmpfs root from its mount data).
void copy_owner_and_mode(const std::string& path, const struct stat& like) {
  (void)::chmod(path.c_str(), like.st_mode & 07777);
  (void)::chown(path.c_str(), like.st_uid, like.st_gid);
}

// An overlay of lower at target, with upper/work directories named `name`
// on the upper tmpfs. "volatile" (Linux >= 5.10) skips syncs of the upper
// layer, which is a tmpfs anyway; an older overlayfs rejects it with EINVAL
// and gets the mount without it. Returns whether it took "volatile"; the
// first refusal is kept in root.volatile_refused.
Result<bool> mount_overlay(const std::string& lower, const std::string& name,
                           const std::string& target, NewRoot& root) {
  const std::string upper = paths::kUpperFs + "/upper" + name;
  const std::string work = paths::kUpperFs + "/work" + name;
  TRY(sys::make_dirs(upper));
  TRY(sys::make_dirs(work));
  struct stat lower_st;
  if (::stat(lower.c_str(), &lower_st) == 0) copy_owner_and_mode(upper, lower_st);
  std::string opts = str("lowerdir=", lower, ",upperdir=", upper, ",workdir=", work);
  auto r = sys::mount("overlay", target, "overlay", 0, opts + ",volatile");
  if (r) return true;
  if (r.error().err != EINVAL) return std::unexpected(r.error());
  if (!root.volatile_refused) root.volatile_refused = r.error();
  TRY(sys::mount("overlay", target, "overlay", 0, opts));
  return false;
}

bool is_empty_dir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return false;
  bool empty = true;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") {
      empty = false;
      break;
    }
  }
  ::closedir(d);
  return empty;
}

Result<void> copy_file(const std::string& from, const std::string& to, const struct stat& st) {
  UniqueFd in = TRY(sys::open(from, O_RDONLY));
  UniqueFd out = TRY(sys::open(to, O_WRONLY | O_CREAT | O_EXCL, st.st_mode & 07777));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0) return sys_error("read", from);
    if (n == 0) break;
    TRY(sys::write_all(out.get(), std::string_view(buf, static_cast<size_t>(n)), to));
  }
  (void)::fchown(out.get(), st.st_uid, st.st_gid);
  (void)::fchmod(out.get(), st.st_mode & 07777);
  return {};
}

// One top-level entry of the image into the tmpfs root.
Result<bool> place_entry(const std::string& name, NewRoot& root) {
  const std::string lower = paths::kLower + "/" + name;
  const std::string target = paths::kNewRoot + "/" + name;
  struct stat st;
  if (::lstat(lower.c_str(), &st) != 0) return sys_error("stat", lower);
  if (S_ISDIR(st.st_mode)) {
    TRY(sys::make_dir(target));
    copy_owner_and_mode(target, st);
    // An empty directory (dev, proc, run, a mount point) needs no overlay:
    // what is written there lands in the tmpfs root.
    if (is_empty_dir(lower)) return true;
    bool v = TRY(mount_overlay(lower, "/" + name, target, root));
    root.overlays.push_back(TRY(sys::open(target, O_PATH | O_DIRECTORY)));
    return v;
  }
  if (S_ISLNK(st.st_mode)) {
    std::string dest(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlink(lower.c_str(), dest.data(), dest.size());
    if (n < 0 || static_cast<size_t>(n) >= dest.size()) return sys_error("readlink", lower);
    dest.resize(static_cast<size_t>(n));
    if (::symlink(dest.c_str(), target.c_str()) != 0) return sys_error("symlink", target);
    (void)::lchown(target.c_str(), st.st_uid, st.st_gid);
  } else if (S_ISREG(st.st_mode)) {
    TRY(copy_file(lower, target, st));
  } else if (::mknod(target.c_str(), st.st_mode, st.st_rdev) != 0) {
    return sys_error("mknod", target);
  }
  ++root.copied;
  return true;
}

Result<int> copy_tree(const std::string& from, const std::string& to, int depth) {
  if (depth > 4) return 0;
  struct stat st;
  if (::lstat(from.c_str(), &st) != 0) return sys_error("stat", from);
  if (S_ISREG(st.st_mode)) {
    TRY(copy_file(from, to, st));
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) return 0;
  if (::mkdir(to.c_str(), 0700) != 0 && errno != EEXIST) return sys_error("mkdir", to);
  DIR* d = ::opendir(from.c_str());
  if (!d) return sys_error("open directory", from);
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(d);
  int files = 0;
  for (const std::string& n : names) files += TRY(copy_tree(from + "/" + n, to + "/" + n, depth + 1));
  copy_owner_and_mode(to, st);  // last: a directory of mode 0500 takes no more files
  return files;
}

Result<NewRoot> mount_tmpfs_root(const std::string& tmpfs_size) {
  NewRoot root;
  root.is_volatile = true;
  struct stat lower_root;
  if (::stat(paths::kLower.c_str(), &lower_root) != 0) return sys_error("stat", paths::kLower);
  char mode[16];
  std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(lower_root.st_mode & 07777));
  std::string data = str("mode=", mode);
  if (!tmpfs_size.empty()) data += ",size=" + tmpfs_size;
  TRY(sys::mount("tmpfs", paths::kNewRoot, "tmpfs", 0, data));
  (void)::chown(paths::kNewRoot.c_str(), lower_root.st_uid, lower_root.st_gid);

  DIR* d = ::opendir(paths::kLower.c_str());
  if (!d) return sys_error("open directory", paths::kLower);
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(d);
  for (const std::string& name : names) {
    auto placed = place_entry(name, root);
    if (!placed) return std::unexpected(placed.error());
    root.is_volatile = root.is_volatile && *placed;
  }
  return root;
}

}  // namespace

Result<NewRoot> mount_new_root(RootLayout layout, const std::string& tmpfs_size) {
  std::string data = "mode=0755";
  if (!tmpfs_size.empty()) data += ",size=" + tmpfs_size;
  TRY(sys::make_dirs(paths::kUpperFs));
  TRY(sys::mount("tmpfs", paths::kUpperFs, "tmpfs", MS_NOSUID | MS_NODEV, data));
  TRY(sys::make_dirs(paths::kNewRoot));
  if (layout == RootLayout::tmpfs) return mount_tmpfs_root(tmpfs_size);
  NewRoot root;
  root.is_volatile = TRY(mount_overlay(paths::kLower, "", paths::kNewRoot, root));
  return root;
}

Result<int> carry_stub_extras(const std::string& from, const std::string& to) {
  struct stat st;
  if (::lstat(from.c_str(), &st) != 0) {
    if (errno == ENOENT) return 0;
    return sys_error("stat", from);
  }
  if (!S_ISDIR(st.st_mode)) return 0;
  return copy_tree(from, to, 0);
}

void carry_stub_extras_into(const std::string& new_root) {
  if (auto n = carry_stub_extras("/.extra", new_root + "/.extra"); !n)
    log::warning(n.error().message(), "; systemd-stub's /.extra is incomplete in the new root");
  else if (*n > 0)
    log::info("extras: ", *n, " files of systemd-stub's /.extra carried into the new root");
}

std::vector<Error> detach_staging_mounts() {
  std::vector<Error> failed;
  for (const std::string& m : {paths::kLower, paths::kUpperFs, paths::kBoot}) {
    // EINVAL: not a mount point (no boot filesystem in this placement).
    if (::umount2(m.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
      failed.push_back(Error{"detach", m, errno});
    (void)::rmdir(m.c_str());
  }
  (void)::rmdir(paths::kStage.c_str());
  return failed;
}

}  // namespace iofs
