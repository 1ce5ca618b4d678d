#include "init/switch_root_request.h"

#include <fcntl.h>
#include <stdio.h>

#include "core/strings.h"
#include "core/sys.h"
#include "init/mounts.h"

namespace iofs {

Result<void> write_switch_root_request(const SwitchRootRequest& request) {
  TRY(sys::make_dirs(paths::kStage));
  const std::string tmp = str(kSwitchRootEnv, ".tmp");
  {
    UniqueFd fd = TRY(sys::open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    TRY(sys::write_all(fd.get(),
                       str("INITOVERLAYFS_NEW_ROOT=", request.new_root, "\nINITOVERLAYFS_INIT=",
                           request.init, "\n"),
                       tmp));
  }
  if (::rename(tmp.c_str(), kSwitchRootEnv) != 0) return sys_error("rename", tmp);
  return {};
}

std::optional<SwitchRootRequest> parse_switch_root_request(std::string_view text) {
  SwitchRootRequest r;
  for (std::string_view line : split_lines(text)) {
    if (line.starts_with("INITOVERLAYFS_NEW_ROOT=")) r.new_root = line.substr(23);
    if (line.starts_with("INITOVERLAYFS_INIT=")) r.init = line.substr(19);
  }
  if (r.new_root.empty() || r.init.empty()) return std::nullopt;
  return r;
}

}  // namespace iofs
