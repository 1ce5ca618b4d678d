// As the kernel fills rootfs (init/initramfs.c): a directory gets its
// mtime only at the end (dir_utime()), once nothing more is written into
// it; hard links pair up by device, inode and file type within one archive
// (the kernel forgets them at each TRAILER!!!); a later entry of a name
// replaces the earlier one.
#include "builder/cpio_extract.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>

#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

// The path components of an entry name, with leading "/" and "./" and
// empty or "." components dropped.
Result<std::vector<std::string>> entry_path(const std::string& name) {
  std::vector<std::string> comps;
  std::string_view rest = name;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view comp = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (comp.empty() || comp == ".") continue;
    if (comp == "..")
      return fail("unsafe cpio entry", str("'", name, "': has a '..' component"));
    comps.emplace_back(comp);
  }
  return comps;
}

std::string join(const std::vector<std::string>& comps, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s += '/';
    s += comps[i];
  }
  return s;
}

std::string octal(uint32_t v) {
  std::string s;
  do {
    s.insert(s.begin(), char('0' + (v & 7)));
    v >>= 3;
  } while (v);
  return s;
}

timespec mtime_of(uint32_t mtime) { return {static_cast<time_t>(mtime), 0}; }

std::atomic<bool> g_without_openat2{false};

// What openat2(RESOLVE_IN_ROOT) does, one component at a time, for kernels
// before 5.6 (RHEL 8) and for valgrind 3.19, which does not know openat2:
// a symlink's target is spliced into the remaining path, an absolute one
// restarts at the root, and ".." at the root stays there. Only real
// directories are entered, so ".." is always the real parent.
Result<UniqueFd> resolve_in_root_slow(int root, const std::string& path) {
  struct stat root_st, st;
  if (::fstat(root, &root_st) != 0) return sys_error("fstat", ".");
  int raw = ::fcntl(root, F_DUPFD_CLOEXEC, 0);
  if (raw < 0) return sys_error("fcntl", ".");
  UniqueFd cur(raw);
  std::vector<std::string> todo;  // components still to walk, reversed
  auto push_path = [&](std::string_view p) {
    std::vector<std::string> comps;
    while (!p.empty()) {
      size_t slash = p.find('/');
      if (slash != 0) comps.emplace_back(p.substr(0, slash));
      p = slash == std::string_view::npos ? "" : p.substr(slash + 1);
    }
    todo.insert(todo.end(), comps.rbegin(), comps.rend());
  };
  push_path(path);
  int links = 0;
  while (!todo.empty()) {
    std::string comp = std::move(todo.back());
    todo.pop_back();
    if (comp == ".") continue;
    if (comp == "..") {
      if (::fstat(cur.get(), &st) != 0) return sys_error("fstat", path);
      if (st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino) continue;
    }
    raw = ::openat(cur.get(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) return sys_error("resolve", path);
    UniqueFd next(raw);
    if (::fstat(next.get(), &st) != 0) return sys_error("fstat", path);
    if (S_ISLNK(st.st_mode)) {
      if (++links > 40) return fail("resolve", path, ELOOP);
      char target[4096];
      ssize_t n = ::readlinkat(next.get(), "", target, sizeof target);
      if (n < 0) return sys_error("readlinkat", path);
      if (n == sizeof target) return fail("resolve", path, ENAMETOOLONG);
      if (n > 0 && target[0] == '/') {
        raw = ::fcntl(root, F_DUPFD_CLOEXEC, 0);
        if (raw < 0) return sys_error("fcntl", ".");
        cur.reset(raw);
      }
      push_path(std::string_view(target, static_cast<size_t>(n)));
      continue;
    }
    if (!S_ISDIR(st.st_mode)) return fail("resolve", path, ENOTDIR);
    cur = std::move(next);
  }
  return cur;
}

}  // namespace

Result<UniqueFd> Extractor::open_dir(const std::string& path) const {
  const char* p = path.empty() ? "." : path.c_str();
  if (g_without_openat2) return resolve_in_root_slow(root_.get(), p);
  auto fd = sys::openat2(root_.get(), p, O_PATH | O_DIRECTORY,
                         RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (!fd && fd.error().err == ENOSYS) {
    g_without_openat2 = true;
    return resolve_in_root_slow(root_.get(), p);
  }
  return fd;
}

Result<UniqueFd> Extractor::make_parent(const std::vector<std::string>& comps,
                                        const std::string& path) {
  auto parent = open_dir(join(comps, comps.size() - 1));
  if (parent || parent.error().err != ENOENT) {
    if (!parent) parent.error().detail += str(" (parent of ", path, ")");
    return parent;
  }
  // The kernel would skip an entry whose directory is missing; creating it
  // keeps the file, which is what the archive's author meant.
  UniqueFd dir = TRY(open_dir(""));
  for (size_t i = 0; i + 1 < comps.size(); ++i) {
    std::string prefix = join(comps, i + 1);
    auto next = open_dir(prefix);
    if (!next && next.error().err == ENOENT) {
      if (::mkdirat(dir.get(), comps[i].c_str(), 0755) != 0)
        return sys_error("mkdirat", str(prefix, " (parent of ", path, ")"));
      next = open_dir(prefix);
    }
    if (!next) {
      next.error().detail += str(" (parent of ", path, ")");
      return std::unexpected(next.error());
    }
    dir = std::move(*next);
  }
  return dir;
}

Result<bool> Extractor::clear(int parent, const std::string& base,
                              const std::string& path, bool want_dir) {
  struct stat st;
  if (::fstatat(parent, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    return sys_error("fstatat", path);
  }
  bool is_dir = S_ISDIR(st.st_mode);
  if (is_dir && want_dir) return true;
  if (::unlinkat(parent, base.c_str(), is_dir ? AT_REMOVEDIR : 0) != 0)
    return sys_error("unlinkat", path);
  return false;
}

Result<bool> Extractor::link_to_group(const CpioEntry& e, int parent,
                                      const std::string& base,
                                      const std::string& path) {
  if (e.nlink < 2) return false;
  LinkKey key{e.devmajor, e.devminor, e.ino, e.mode & S_IFMT};
  auto [it, first] = links_.try_emplace(key, path);
  if (first) return false;
  const std::string& target = it->second;
  std::vector<std::string> comps = TRY(entry_path(target));
  UniqueFd target_parent = TRY(open_dir(join(comps, comps.size() - 1)));
  if (::linkat(target_parent.get(), comps.back().c_str(), parent, base.c_str(),
               0) != 0)
    return sys_error("linkat", str(path, " (to ", target, ")"));
  ++stats.hardlinks;
  return true;
}

Result<void> Extractor::add_file(const CpioEntry& e, std::string_view data, int parent,
                                 const std::string& base,
                                 const std::string& path) {
  bool linked = TRY(link_to_group(e, parent, base, path));
  // A linked name reopens the group's file: the data may come with any of
  // its names (GNU cpio sends it with the last).
  int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
  if (!linked)
    flags |= O_CREAT | O_EXCL;
  else if (!data.empty())
    flags |= O_TRUNC;
  int raw = ::openat(parent, base.c_str(), flags, 0600);
  if (raw < 0) return sys_error("openat", path);
  UniqueFd fd(raw);
  if (!linked) ++stats.files;
  TRY(sys::write_all(fd.get(), data, path));
  stats.bytes += data.size();
  // chown before chmod: chown clears the setuid and setgid bits.
  if (::fchown(fd.get(), e.uid, e.gid) != 0) return sys_error("fchown", path);
  if (::fchmod(fd.get(), e.mode & 07777) != 0) return sys_error("fchmod", path);
  timespec times[2] = {mtime_of(e.mtime), mtime_of(e.mtime)};
  if (::futimens(fd.get(), times) != 0) return sys_error("futimens", path);
  // close() can report a delayed write error (NFS, quota).
  if (::close(fd.release()) != 0) return sys_error("close", path);
  return {};
}

Result<void> Extractor::add_dir(const CpioEntry& e, int parent,
                                const std::string& base,
                                const std::string& path) {
  bool exists = TRY(clear(parent, base, path, true));
  if (!exists && ::mkdirat(parent, base.c_str(), 0700) != 0)
    return sys_error("mkdirat", path);
  int raw = ::openat(parent, base.c_str(),
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) return sys_error("openat", path);
  UniqueFd fd(raw);
  if (::fchown(fd.get(), e.uid, e.gid) != 0) return sys_error("fchown", path);
  if (::fchmod(fd.get(), e.mode & 07777) != 0) return sys_error("fchmod", path);
  dir_mtimes_[path] = e.mtime;
  ++stats.dirs;
  return {};
}

Result<void> Extractor::add_node(const CpioEntry& e, int parent,
                                 const std::string& base,
                                 const std::string& path) {
  if (TRY(link_to_group(e, parent, base, path))) return {};
  dev_t dev = makedev(e.rdevmajor, e.rdevminor);
  if (::mknodat(parent, base.c_str(), (e.mode & S_IFMT) | 0600, dev) != 0)
    return sys_error("mknodat", path);
  ++stats.devices;
  if (::fchownat(parent, base.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("fchownat", path);
  // The name was just made by mknodat, so this follows no symlink.
  if (::fchmodat(parent, base.c_str(), e.mode & 07777, 0) != 0)
    return sys_error("fchmodat", path);
  timespec times[2] = {mtime_of(e.mtime), mtime_of(e.mtime)};
  if (::utimensat(parent, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("utimensat", path);
  return {};
}

Result<void> Extractor::add_symlink(const CpioEntry& e, int parent,
                                    const std::string& base,
                                    const std::string& path) {
  // The target is data: it is stored as is and only ever resolved below
  // the root (openat2 RESOLVE_IN_ROOT).
  if (::symlinkat(e.data.c_str(), parent, base.c_str()) != 0)
    return sys_error("symlinkat", path);
  ++stats.symlinks;
  if (::fchownat(parent, base.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("fchownat", path);
  timespec times[2] = {mtime_of(e.mtime), mtime_of(e.mtime)};
  if (::utimensat(parent, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return sys_error("utimensat", path);
  return {};
}

Result<void> Extractor::add(const CpioEntry& e, std::optional<std::string_view> body) {
  if (e.name.empty())
    return fail("unsafe cpio entry", "'': empty name");
  std::vector<std::string> comps = TRY(entry_path(e.name));
  uint32_t type = e.mode & S_IFMT;
  if (comps.empty()) {
    // ".", "./" or "/": the root directory itself.
    if (type != S_IFDIR)
      return fail("unsafe cpio entry",
                  str("'", e.name, "': names the root but is not a directory"));
    if (::fchown(root_.get(), e.uid, e.gid) != 0) return sys_error("fchown", ".");
    if (::fchmod(root_.get(), e.mode & 07777) != 0)
      return sys_error("fchmod", ".");
    dir_mtimes_[""] = e.mtime;
    return {};
  }
  std::string path = join(comps, comps.size());
  const std::string& base = comps.back();
  UniqueFd parent = TRY(make_parent(comps, path));
  switch (type) {
    case S_IFDIR:
      return add_dir(e, parent.get(), base, path);
    case S_IFREG:
      TRY(clear(parent.get(), base, path, false));
      return add_file(e, body.value_or(std::string_view(e.data)), parent.get(), base, path);
    case S_IFLNK:
      TRY(clear(parent.get(), base, path, false));
      return add_symlink(e, parent.get(), base, path);
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
      TRY(clear(parent.get(), base, path, false));
      return add_node(e, parent.get(), base, path);
    default:
      return fail("extract", str(path, ": unknown file type (mode 0",
                                 octal(e.mode), ")"));
  }
}

Result<void> Extractor::finish() {
  for (const auto& [path, mtime] : dir_mtimes_) {
    timespec times[2] = {mtime_of(mtime), mtime_of(mtime)};
    if (path.empty()) {
      if (::futimens(root_.get(), times) != 0) return sys_error("futimens", ".");
      continue;
    }
    std::vector<std::string> comps = TRY(entry_path(path));
    // A later entry may have replaced the directory, or a symlink on the
    // way to it.
    auto parent = open_dir(join(comps, comps.size() - 1));
    if (!parent) {
      int err = parent.error().err;
      if (err == ENOENT || err == ENOTDIR || err == ELOOP) continue;
      return std::unexpected(parent.error());
    }
    struct stat st;
    if (::fstatat(parent->get(), comps.back().c_str(), &st,
                  AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode))
      continue;
    if (::utimensat(parent->get(), comps.back().c_str(), times,
                    AT_SYMLINK_NOFOLLOW) != 0)
      return sys_error("utimensat", path);
  }
  return {};
}

void extract_without_openat2_for_testing(bool on) { g_without_openat2 = on; }

Result<ExtractStats> extract_cpio(std::string_view archive,
                                  const std::string& dir) {
  UniqueFd root = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY));
  Extractor extractor(std::move(root));
  size_t pos = 0;
  bool any = false;
  for (;;) {
    while (pos < archive.size() && archive[pos] == '\0') ++pos;
    if (pos == archive.size()) break;
    if (pos % 4 != 0)
      return fail("read cpio", str("at byte ", pos,
                                   ": data after the trailer is neither zero "
                                   "padding nor an aligned archive"));
    CpioArchive a = TRY(read_cpio(archive, pos));
    for (const CpioEntry& e : a.entries) TRY(extractor.add(e));
    extractor.end_archive();
    pos = a.end;
    any = true;
  }
  if (!any) return fail("read cpio", "no archive in the input");
  TRY(extractor.finish());
  return extractor.stats;
}

}  // namespace iofs
