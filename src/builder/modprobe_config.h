// The module configuration of the system being converted (modprobe.d(5):
// "options", "blacklist", "install", "remove", "softdep"), read with
// libkmod's own parser so that file order, overrides by file name, line
// continuations and comments are exactly modprobe's. Once the mini
// initramfs has loaded a module the real system can no longer give it
// options, so what the classic initramfs would have applied must be
// applied there (module_policy.h says how).
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace iofs {

struct ModprobeConfig {
  // Normalized module name -> its options, every "options" line for it
  // joined with spaces in modprobe's order, quotes kept.
  std::map<std::string, std::string> options;
  std::set<std::string> blacklist;  // normalized module names
  // (module name pattern, command) in modprobe's order; the first entry
  // whose pattern matches (fnmatch(3)) is the one modprobe would run.
  std::vector<std::pair<std::string, std::string>> install, remove;
  // modprobe.d's "softdep" lines: (module name pattern, "pre:" names) in
  // modprobe's order (not the kernel's modules.softdep, which the module
  // index has already).
  std::vector<std::pair<std::string, std::vector<std::string>>> softdeps;
};

// The directories a classic initramfs would apply, inside `tree` (the
// unpacked input initramfs, which dracut and initramfs-tools give a copy
// of the host's, or --rootdir): etc/, run/, usr/local/lib/, lib/ and
// usr/lib/modprobe.d, in modprobe's order of precedence.
std::vector<std::string> modprobe_dirs(const std::string& tree);

// Reads `dirs` (missing ones are skipped) and MODDIR/modules.softdep.
// What libkmod adds from the build host's own /proc/cmdline is left out:
// the target's command line is applied at boot (core/cmdline.h).
Result<ModprobeConfig> read_modprobe_config(const std::string& moddir,
                                            const std::vector<std::string>& dirs);

// The first command of `commands` whose pattern matches `module`, or null.
const std::string* first_command(const std::vector<std::pair<std::string, std::string>>& commands,
                                 const std::string& module);

}  // namespace iofs
