// What service mode leaves for pre-initoverlayfs-switch-root.service: the
// new root and the init chosen in it, in kSwitchRootEnv.
//
// The file is an environment file of two lines,
//   INITOVERLAYFS_NEW_ROOT=/sysroot
//   INITOVERLAYFS_INIT=/init
// written to a temporary name and renamed, so the second unit sees all of
// it or nothing. The second unit's `initoverlayfs --systemd-switch-root`
// reads it and asks systemd to switch root (systemd_bus.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace iofs {

inline constexpr const char* kSwitchRootEnv = "/run/initoverlayfs/switch-root.env";

struct SwitchRootRequest {
  std::string new_root;
  std::string init;
};

// Writes the request to kSwitchRootEnv.
Result<void> write_switch_root_request(const SwitchRootRequest& request);

// The request in the file's text; nullopt when either line is missing or
// empty. The last of repeated lines counts. Pure.
std::optional<SwitchRootRequest> parse_switch_root_request(std::string_view text);

}  // namespace iofs
