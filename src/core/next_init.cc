#include "core/next_init.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

// The kernel's own list (init/main.c kernel_init()) without its last
// resort, /bin/sh.
constexpr const char* kKernelOrder[] = {"/init", "/sbin/init", "/etc/init", "/bin/init"};

std::vector<std::string> init_candidates(const std::string& configured,
                                         const std::string& rdinit) {
  std::vector<std::string> out;
  for (const std::string& c : {configured, rdinit})
    if (!c.empty()) out.push_back(c);
  for (const char* c : kKernelOrder) out.emplace_back(c);
  return out;
}

std::string init_choice_reason(const std::string& chosen, const std::string& configured,
                               const std::string& rdinit) {
  if (!configured.empty() && chosen == configured) return "the init key or initoverlayfs.init=";
  if (!rdinit.empty() && chosen == rdinit) return "rdinit=";
  std::string order;
  for (const char* c : kKernelOrder) order += str(order.empty() ? "" : ", ", c);
  return str("first of the kernel's order: ", order);
}

namespace {

constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

// Why `path` cannot run from the new root, or empty when it can.
std::string why_not_runnable(int root, const std::string& path) {
  auto fd = sys::openat2(root, path, O_PATH, kInRoot);
  if (!fd) {
    int err = fd.error().err;
    if (err != ENOENT) return std::strerror(err);
    // ENOENT of the path itself or of a symlink's target: the second is a
    // broken image (or a target outside it), and worth saying.
    auto link = sys::openat2(root, path, O_PATH | O_NOFOLLOW, kInRoot);
    char target[4096];
    ssize_t n = link ? ::readlinkat(link->get(), "", target, sizeof target - 1) : -1;
    if (n < 0) return std::strerror(ENOENT);
    return str("a dangling symlink to ", std::string_view(target, static_cast<size_t>(n)));
  }
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if ((st.st_mode & 0111) == 0) return "not executable";
  // Opened for reading only now that it is known to be a regular file: a
  // device node or FIFO is never opened.
  auto file = sys::openat2(root, path, O_RDONLY, kInRoot);
  if (!file) return std::strerror(file.error().err);
  char page[4096];
  ssize_t n = ::pread(file->get(), page, sizeof page, 0);
  if (n < 0) return str("first page unreadable: ", std::strerror(errno));
  if (n == 0) return "empty";
  return {};
}

}  // namespace

Result<NextInit> choose_next_init(const std::string& new_root,
                                  const std::vector<std::string>& candidates) {
  UniqueFd root = TRY(sys::open(new_root, O_PATH | O_DIRECTORY));
  std::string tried;
  for (const std::string& path : candidates) {
    std::string why = why_not_runnable(root.get(), path);
    if (why.empty()) return NextInit{path, tried};
    tried += str(tried.empty() ? "" : ", ", path, " (", why, ")");
  }
  return fail("no init could be run in the new root;", str("tried ", tried));
}

}  // namespace iofs
