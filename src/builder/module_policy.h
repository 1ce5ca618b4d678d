// Which modules the mini initramfs carries, and which of them load only
// when a device that wants them appears: a pure function of the options,
// the placement's module policy (core/placement.h), the boot filesystem's
// type and the kernel's module index, so that it is tested without a kernel.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "builder/modprobe_config.h"
#include "builder/module_index.h"
#include "core/placement.h"

namespace iofs {

struct ModuleInputs {
  Placement placement = Placement::bootfs;
  bool hostonly = false;
  std::vector<std::string> host_modules;  // --hostonly: the boot device's drivers (sysfs)
  // Without --hostonly, for the placements that read the image from the
  // boot filesystem: the drivers of the device it is on now (sysfs), when
  // the output directory is on it. Those the generic set lacks are added,
  // on demand like the generic ones.
  std::vector<std::string> boot_disk_modules;
  std::string bootfs_fstype;              // empty: unknown
  std::vector<std::string> drivers;       // --drivers
  std::string lowerfs = "erofs";          // --lowerfs
  bool verity = false;                    // --verity
  std::vector<std::string> generic_drivers = generic_storage_drivers();
  // The text of modules.alias; without it every module loads at start.
  std::optional<std::string> modules_alias;
  ModprobeConfig modprobe;  // the converted system's modprobe.d
};

struct ModuleChoice {
  std::vector<std::string> requested;  // names and aliases asked of the index, sorted
  std::set<std::string> on_demand;     // normalized names loaded when a device wants them
  ModuleClosure closure;               // the plan (with the on-demand ones' aliases)
  bool bootfs_type_guessed = false;    // unknown boot filesystem type: ext4 and vfat added
  // The boot device's drivers (host_modules or boot_disk_modules) that the
  // target kernel has neither as a module nor built in: a mini initramfs
  // without them could never read the image.
  std::vector<std::string> boot_disk_missing;
  // What modprobe.d did to the plan: warnings the user must see (an
  // "install" command that cannot run), notes for -v.
  std::vector<std::string> warnings, notes;
};

// modprobe.d applied to the plan as modprobe would apply it when the
// classic initramfs loads these modules:
// - "options": the module's parameters (PlannedModule::options);
// - "blacklist": marks the module (PlannedModule::blacklisted); modprobe
//   applies blacklists only to alias lookups, so it is still loaded when a
//   module that needs it loads, or when it is asked for by name (at start:
//   filesystems, --drivers, --hostonly), but not for a device's modalias;
// - "install": the mini initramfs has no shell to run it; the module is
//   loaded directly, with its options, and a warning says so. The common
//   "install MODULE /bin/true" (or false), which keeps a module out of the
//   system, counts as a blacklist;
// - "remove": nothing to do, the mini initramfs never unloads a module.
ModuleChoice choose_modules(const ModuleInputs& in, const ModuleIndex& index);

// modprobe.d's "softdep" lines in place of the kernel's modules.softdep
// for the modules they name (the first matching line, as modprobe takes
// it); returns one -v note per module changed.
std::vector<std::string> apply_modprobe_softdeps(ModuleIndex& index, const ModprobeConfig& cfg);

}  // namespace iofs
