// Which modules the mini initramfs carries, and which of them load only
// when a device that wants them appears: a pure function of the options,
// the placement's module policy (core/placement.h), the boot filesystem's
// type and the kernel's module index, so that it is tested without a kernel.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "builder/module_index.h"
#include "core/placement.h"

namespace iofs {

struct ModuleInputs {
  Placement placement = Placement::bootfs;
  bool hostonly = false;
  std::vector<std::string> host_modules;  // --hostonly: the boot device's drivers (sysfs)
  std::string bootfs_fstype;              // empty: unknown
  std::vector<std::string> drivers;       // --drivers
  std::string lowerfs = "erofs";          // --lowerfs
  bool verity = false;                    // --verity
  std::vector<std::string> generic_drivers = generic_storage_drivers();
  // The text of modules.alias; without it every module loads at start.
  std::optional<std::string> modules_alias;
};

struct ModuleChoice {
  std::vector<std::string> requested;  // names and aliases asked of the index, sorted
  std::set<std::string> on_demand;     // normalized names loaded when a device wants them
  ModuleClosure closure;               // the plan (with the on-demand ones' aliases)
  bool bootfs_type_guessed = false;    // unknown boot filesystem type: ext4 and vfat added
};

ModuleChoice choose_modules(const ModuleInputs& in, const ModuleIndex& index);

}  // namespace iofs
