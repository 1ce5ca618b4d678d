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
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace iofs {

struct PlannedModule {
  std::string path;
  std::vector<size_t> deps;   // hard dependencies: indices of earlier modules
  std::vector<size_t> after;  // soft ("pre:") dependencies: ordering only
  std::vector<std::string> aliases;  // device modalias patterns; empty: load at start
  bool operator==(const PlannedModule&) const = default;
};

// Whether a device's modalias matches one of m's patterns.
bool matches_device(const PlannedModule& m, std::string_view modalias);

Result<std::vector<PlannedModule>> parse_load_plan(std::string_view text);
std::string format_load_plan(const std::vector<PlannedModule>& plan);

// "kernel/drivers/block/virtio_blk.ko.xz" -> "virtio_blk"
std::string module_name(std::string_view path);

}  // namespace iofs
