#include "init/next_init.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include <cstring>

#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

Result<std::string> choose_next_init(const std::string& new_root,
                                     const std::vector<std::string>& candidates) {
  UniqueFd root = TRY(sys::open(new_root, O_PATH | O_DIRECTORY));
  std::string tried;
  for (const std::string& path : candidates) {
    auto fd = sys::openat2(root.get(), path, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    struct stat st;
    int err = !fd ? fd.error().err
              : ::fstat(fd->get(), &st) != 0 ? errno
              : !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0 ? EACCES
              : 0;
    if (err == 0) return path;
    tried += str(tried.empty() ? "" : ", ", path, " (", std::strerror(err), ")");
  }
  return fail("no init could be run in the new root;", str("tried ", tried));
}

}  // namespace iofs
