// The module load plan the builder writes into the mini initramfs
// (/etc/initoverlayfs.modules) and the early-boot program follows.
//
// Format, like modules.dep (see depmod(8)) but closed and ordered: one module
// per line, "PATH: DEP DEP ... pre: SOFTDEP ...", PATH relative to
// /lib/modules/KVER; every dependency is a module listed on an earlier line,
// so the file is its own topological order. DEPs are hard dependencies (a
// module cannot load without them); the modules after "pre:" come from
// modules.softdep and are ordering only: a module waits for them but still
// loads if one of them failed (e.g. crc32c-intel refusing a CPU without
// SSE4.2 while crc32c_generic serves libcrc32c). '#' starts a comment line.
//
// A module followed by lines "alias PATTERN PATH" (PATH listed before) is
// loaded on demand: only when a device whose modalias matches PATTERN
// (fnmatch(3), as modules.alias and kmod use them) is present at start or
// appears later, like udev's coldplug. The other modules that no module of
// the plan depends on (filesystems, explicitly chosen drivers) are loaded
// at start. Dependencies load when, and before, a module that needs them.
//
// "options PATH PARAM=VALUE ..." (PATH listed before) gives the module's
// parameters from the converted system's modprobe.d, passed to finit_module
// as they are (double quotes around a value with spaces, as modprobe.d(5)
// allows); several lines for one module add up, in order. "blacklist PATH"
// marks a module modprobe.d blacklists: like udev's modprobe, the program
// does not load it for a device's modalias, but still when a module that
// needs it loads, or for a "devname:" alias the program asks for itself
// (the kernel's own module requests ignore blacklists too). A plan without
// these lines (an older builder's) reads as before.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cmdline.h"
#include "core/error.h"

namespace iofs {

struct PlannedModule {
  std::string path;
  std::vector<size_t> deps;   // hard dependencies: indices of earlier modules
  std::vector<size_t> after;  // soft ("pre:") dependencies: ordering only
  std::vector<std::string> aliases;  // device modalias patterns; empty: load at start
  std::string options;               // module parameters, "PARAM=VALUE ..."
  bool blacklisted = false;          // not loaded for a device's modalias
  bool operator==(const PlannedModule&) const = default;
};

// Whether a device's modalias matches one of m's patterns; a blacklisted
// module matches only "devname:" aliases.
bool matches_device(const PlannedModule& m, std::string_view modalias);

Result<std::vector<PlannedModule>> parse_load_plan(std::string_view text);
// Control characters but tabs in options (the builder lets none through)
// are written as spaces: a newline would end the line and break the plan.
std::string format_load_plan(const std::vector<PlannedModule>& plan);

// The kernel command line's MODULE.PARAM=VALUE words added to the options
// of the modules they name, after those of modprobe.d (the kernel takes
// the last value of a parameter given twice, as with modprobe), and
// modprobe.blacklist= marking modules blacklisted.
void apply_module_cmdline(std::vector<PlannedModule>& plan, const ModuleCmdline& cmdline);

// "kernel/drivers/block/virtio_blk.ko.xz" -> "virtio_blk"
std::string module_name(std::string_view path);

}  // namespace iofs
