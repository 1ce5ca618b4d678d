// Kernel command line parsing, with the kernel's own quoting rules
// (lib/cmdline.c next_arg()): parameters are separated by spaces, a double
// quote protects spaces and is removed, and "--" ends the kernel's
// parameters (what follows belongs to init).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iofs {

struct KernelParam {
  std::string key;
  std::optional<std::string> value;  // nullopt for a bare flag
};

std::vector<KernelParam> parse_kernel_cmdline(std::string_view text);

struct CmdlineSettings {
  // initoverlayfs.<key>=<value>, in order, with the prefix removed.
  std::vector<std::pair<std::string, std::string>> overrides;
  std::optional<std::string> rdinit;  // the kernel's rdinit=
};

CmdlineSettings extract_settings(const std::vector<KernelParam>& params);

}  // namespace iofs
