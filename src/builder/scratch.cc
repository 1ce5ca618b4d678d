#include "builder/scratch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

namespace {

constexpr std::string_view kPrefix = "initoverlayfs-install.";

std::string scratch_base() {
  const char* base = ::getenv("TMPDIR");
  return base && *base ? base : "/var/tmp";
}

// Whether `fd` is a leftover of a builder that died: ours, last changed
// over a minute ago (one just made and not yet locked is never taken), and
// not locked by anyone.
bool abandoned(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_uid != ::geteuid() || st.st_mtime > ::time(nullptr) - 60)
    return false;
  return ::flock(fd, LOCK_EX | LOCK_NB) == 0;
}

}  // namespace

Result<ScratchDir> ScratchDir::create() {
  std::string tmpl = str(scratch_base(), "/", kPrefix, "XXXXXX");
  if (!::mkdtemp(tmpl.data())) return sys_error("create scratch directory", tmpl);
  ScratchDir s;
  s.path_ = tmpl;
  s.fd_ = TRY(sys::open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  // Held until this process ends, however it ends (remove_abandoned).
  if (::flock(s.fd_.get(), LOCK_EX | LOCK_NB) != 0) return sys_error("lock", tmpl);
  // mkdtemp gives 0700 less the umask; exactly 0700 whatever the umask.
  if (::fchmod(s.fd_.get(), 0700) != 0) return sys_error("chmod", tmpl);
  return s;
}

size_t ScratchDir::remove_abandoned() {
  const std::string base = scratch_base();
  size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kPrefix) || name.size() != kPrefix.size() + 6) continue;
    const std::string path = entry.path().string();
    int raw = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) continue;  // a symlink, or gone
    UniqueFd fd(raw);
    if (!abandoned(fd.get())) continue;
    std::filesystem::remove_all(path, ec);
    if (!ec) ++removed;
  }
  return removed;
}

ScratchDir::ScratchDir(ScratchDir&& other) noexcept
    : path_(std::exchange(other.path_, {})), fd_(std::move(other.fd_)) {}

ScratchDir& ScratchDir::operator=(ScratchDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    fd_ = std::move(other.fd_);
  }
  return *this;
}

ScratchDir::~ScratchDir() { remove(); }

void ScratchDir::remove() {
  if (path_.empty()) return;
  // remove_all does not follow symlinks in the tree: it unlinks them.
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  path_.clear();
  fd_.reset();
}

OutputTemps::~OutputTemps() {
  for (const Temp& t : temps_) ::unlink(t.path.c_str());
}

Result<std::string> OutputTemps::create(const std::string& dir, const std::string& name) {
  std::string tmpl = dir + "/." + name + ".XXXXXX";
  int raw = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (raw < 0) return sys_error("create temporary file in", dir);
  UniqueFd fd(raw);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    ::unlink(tmpl.c_str());
    return sys_error("lock", tmpl);
  }
  temps_.push_back({tmpl, std::move(fd)});
  return tmpl;
}

void OutputTemps::keep(const std::string& path) {
  std::erase_if(temps_, [&](const Temp& t) { return t.path == path; });
}

size_t OutputTemps::remove_abandoned(const std::string& dir, const std::string& name) {
  const std::string prefix = "." + name + ".";
  size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string base = entry.path().filename().string();
    if (!base.starts_with(prefix) || base.size() != prefix.size() + 6) continue;
    const std::string path = entry.path().string();
    int raw = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (raw < 0) continue;
    UniqueFd fd(raw);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !abandoned(fd.get())) continue;
    if (::unlink(path.c_str()) == 0) ++removed;
  }
  return removed;
}

Result<std::string> ScratchDir::make_dir(const std::string& name) const {
  if (::mkdirat(fd_.get(), name.c_str(), 0700) != 0) return sys_error("mkdir", path_ + "/" + name);
  return path_ + "/" + name;
}

Result<UniqueFd> ScratchDir::create_file(const std::string& name) const {
  return sys::open_at(fd_.get(), name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
}

Result<uint64_t> ScratchDir::available_bytes() const {
  struct statvfs st;
  if (::fstatvfs(fd_.get(), &st) != 0) return sys_error("statvfs", path_);
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace iofs
