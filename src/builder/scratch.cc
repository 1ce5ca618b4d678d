#include "builder/scratch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

Result<ScratchDir> ScratchDir::create() {
  const char* base = ::getenv("TMPDIR");
  std::string tmpl = str(base && *base ? base : "/var/tmp", "/initoverlayfs-install.XXXXXX");
  if (!::mkdtemp(tmpl.data())) return sys_error("create scratch directory", tmpl);
  ScratchDir s;
  s.path_ = tmpl;
  s.fd_ = TRY(sys::open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  // mkdtemp gives 0700 less the umask; exactly 0700 whatever the umask.
  if (::fchmod(s.fd_.get(), 0700) != 0) return sys_error("chmod", tmpl);
  return s;
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
