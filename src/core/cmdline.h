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

// What modprobe takes from the kernel command line for the modules it
// loads (kmod's libkmod-config.c reads /proc/cmdline the same way): the
// kernel applies MODULE.PARAM=VALUE only to built-in modules and leaves
// loadable ones to whoever loads them, here the early-boot program.
struct ModuleCmdline {
  // MODULE.PARAM=VALUE and bare MODULE.PARAM, in order: the normalized
  // module name ('-' as '_') and "PARAM=VALUE" as finit_module takes it, a
  // value with spaces in double quotes again.
  std::vector<std::pair<std::string, std::string>> options;
  // modprobe.blacklist=A,B (any number of times), normalized names.
  std::vector<std::string> blacklist;
};

// A key with more than one dot, or none, is no module parameter and is
// skipped, as kmod skips it.
ModuleCmdline extract_module_cmdline(const std::vector<KernelParam>& params);

}  // namespace iofs
