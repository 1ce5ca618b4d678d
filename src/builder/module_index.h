// What the kernel's module directory says about its modules, and the closure
// of modules a set of names needs, in an order the early-boot program can
// load them with finit_module and nothing else.
//
// Inputs are the text files depmod(8) writes into /lib/modules/KVER (see
// depmod(8), modules.dep(5) and modprobe.d(5) for the formats):
//   modules.dep      "PATH: DEP DEP ..." per module, DEPs its full hard
//                    dependency closure (symbols it uses), PATHs relative
//   modules.builtin  "PATH" per module that is built into the kernel image
//   modules.softdep  "softdep NAME pre: NAME... post: NAME..." — modules the
//                    kernel (or a driver) asks modprobe for at run time
//   modules.alias    "alias PATTERN NAME", PATTERN a glob or an exact alias
//   modules.builtin.modinfo  (optional) NUL-separated "NAME.KEY=VALUE"
//                    records of the built-in modules; only ".alias=" is used
// Module names treat '-' and '_' alike, as kmod does.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "core/load_plan.h"

namespace iofs {

struct ModuleIndex {
  struct Module {
    std::string path;          // relative to /lib/modules/KVER
    std::vector<size_t> deps;  // indices into `modules`, modules.dep order
  };
  std::vector<Module> modules;                      // modules.dep order
  std::unordered_map<std::string, size_t> by_name;  // normalized name -> index
  std::unordered_set<std::string> builtin;          // normalized names
  // Exact (non-glob) aliases, normalized, -> provider names in file order.
  std::map<std::string, std::vector<std::string>> aliases;
  // Aliases provided by built-in modules (from modules.builtin.modinfo).
  std::unordered_set<std::string> builtin_aliases;
  // Normalized module name -> its "pre:" soft dependencies (names or aliases).
  std::unordered_map<std::string, std::vector<std::string>> softdeps_pre;
};

// "crc32c-intel" -> "crc32c_intel": the spelling kmod compares.
std::string normalize_module_name(std::string_view name);

// Parse errors name the file and line: "modules.dep line 7: no ':' ...".
// Blank lines and '#' comments are accepted in every file.
Result<ModuleIndex> parse_module_index(std::string_view modules_dep,
                                       std::string_view modules_builtin,
                                       std::string_view modules_softdep,
                                       std::string_view modules_alias,
                                       std::string_view modules_builtin_modinfo = {});

// Reads the files above from `moddir` (/lib/modules/KVER). Only modules.dep
// is required; a missing one asks the user to run depmod.
Result<ModuleIndex> load_module_index(const std::string& moddir);

struct ModuleClosure {
  // Every module file needed, each after its hard dependencies (deps) and
  // its "pre:" soft dependencies (after: ordering only, another provider
  // would do).
  std::vector<PlannedModule> plan;
  std::vector<std::string> builtin;  // requested names built into the kernel
  std::vector<std::string> missing;  // requested names found nowhere
};

// Resolves each name (a module name, else an exact alias such as "crc32c" or
// "fs-ext4") and adds the hard and "pre:" soft dependency closure.
// A name is satisfied, in this order, by: a module of that name; a built-in
// module of that name; an alias some built-in module provides (nothing to
// load: the kernel already has it); every module providing the exact alias.
// A soft dependency that resolves to nothing is ignored. "post:" soft
// dependencies are ignored. The result depends only on the index and the
// order of `names`.
//
// Cycles (soft dependencies can form them; depmod rejects hard ones) are
// broken by the depth-first walk that places modules: an edge leading back
// to a module still being placed is dropped. With "a pre: b" and "b pre: a",
// asking for a places b first (without its edge to a), then a.
ModuleClosure resolve_modules(const ModuleIndex& index,
                              const std::vector<std::string>& names);

// The drivers needed to reach common boot storage, plus loop, erofs and
// overlay. The boot filesystem's own module is added by the caller.
std::vector<std::string> generic_storage_drivers();

}  // namespace iofs
