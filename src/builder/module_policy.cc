#include "builder/module_policy.h"

#include <fnmatch.h>

#include <algorithm>

#include "builder/device_aliases.h"
#include "core/human.h"
#include "core/strings.h"

namespace iofs {
namespace {

// "install MODULE /bin/true": the usual way to keep a module out of a
// system altogether (a blacklist stops only alias lookups).
bool disables_module(std::string_view command) {
  std::vector<std::string_view> words = split_words(command);
  if (words.size() != 1) return false;
  std::string_view program = words[0].substr(words[0].rfind('/') + 1);  // npos + 1 == 0
  return program == "true" || program == "false";
}

bool has_control_character(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  return false;
}

void apply_modprobe(ModuleChoice& choice, const ModprobeConfig& cfg) {
  for (PlannedModule& m : choice.closure.plan) {
    const std::string name = module_name(m.path);
    const bool on_demand = !m.aliases.empty();
    if (auto it = cfg.options.find(name); it != cfg.options.end()) {
      if (has_control_character(it->second)) {
        choice.warnings.push_back(str("modprobe.d: the options of ", name,
                                      " hold a control character; the mini initramfs "
                                      "loads it without them"));
      } else {
        m.options = it->second;
        choice.notes.push_back(str("modprobe.d: ", name, " is loaded with options ", m.options));
      }
    }
    const std::string* install = first_command(cfg.install, name);
    const bool disabled = install && disables_module(*install);
    if (cfg.blacklist.contains(name) || disabled) m.blacklisted = true;
    if (install && disabled && on_demand) {
      choice.notes.push_back(str("modprobe.d: 'install ", name, " ", *install,
                                 "' treated as a blacklist: ", name,
                                 " is not loaded for a device, only if a module that needs it loads"));
    } else if (install && disabled) {
      choice.warnings.push_back(str("modprobe.d: 'install ", name, " ", *install,
                                    "' cannot run in the mini initramfs, and ", name,
                                    " is still loaded there: the mini initramfs needs it"));
    } else if (install) {
      choice.warnings.push_back(str("modprobe.d: 'install ", name, " ", *install,
                                    "' cannot run in the mini initramfs (no shell there): ", name,
                                    " is loaded directly instead",
                                    m.options.empty() ? "" : ", with its options",
                                    ", and the command does not run"));
    } else if (m.blacklisted) {
      choice.notes.push_back(
          on_demand ? str("modprobe.d: ", name, " is blacklisted: not loaded for a device, "
                          "only if a module that needs it loads")
                    : str("modprobe.d: ", name, " is blacklisted but loaded: the mini "
                          "initramfs asks for it by name or needs it for another module"));
    }
    if (first_command(cfg.remove, name))
      choice.notes.push_back(str("modprobe.d: the 'remove' command for ", name,
                                 " does not matter: the mini initramfs never unloads a module"));
  }
}

}  // namespace

std::vector<std::string> apply_modprobe_softdeps(ModuleIndex& index, const ModprobeConfig& cfg) {
  std::vector<std::string> notes;
  if (cfg.softdeps.empty()) return notes;
  for (const auto& [name, id] : index.by_name) {
    for (const auto& [pattern, pre] : cfg.softdeps) {
      if (::fnmatch(pattern.c_str(), name.c_str(), 0) != 0) continue;
      auto current = index.softdeps_pre.find(name);
      if (current == index.softdeps_pre.end() ? !pre.empty() : current->second != pre) {
        index.softdeps_pre[name] = pre;
        notes.push_back(str("modprobe.d: soft dependencies of ", name, ": ",
                            pre.empty() ? "none" : "pre: " + join_words(pre)));
      }
      break;
    }
  }
  std::sort(notes.begin(), notes.end());  // by_name is unordered
  return notes;
}

ModuleChoice choose_modules(const ModuleInputs& in, const ModuleIndex& index) {
  const PlacementInfo& placement = placement_info(in.placement);
  ModuleChoice choice;
  std::set<std::string> names;
  if (in.hostonly) {
    names.insert(in.host_modules.begin(), in.host_modules.end());
    names.insert({"erofs", "overlay", "loop"});
  } else {
    switch (placement.modules) {
      case ModulePolicy::none:
        // No disk: the image is a file in the initramfs, behind a loop device.
        names.insert({"erofs", "overlay", "loop"});
        break;
      case ModulePolicy::nvdimm_on_demand:
        // The nvdimm drivers, on demand like storage drivers: nd_e820 for the
        // memmap= region (platform:e820_pmem, x86), of_pmem for a device
        // tree's pmem-region node (of:N*T*Cpmem-region, arm64), virtio_pmem
        // for the virtio device, nd_pmem for the namespace any of them
        // announces (nd:t4/t5). A kernel has the ones of its architecture.
        names.insert({"erofs", "overlay", "nd_e820", "of_pmem", "virtio_pmem", "nd_pmem"});
        break;
      case ModulePolicy::storage_on_demand:
        names.insert(in.generic_drivers.begin(), in.generic_drivers.end());
        break;
    }
  }
  if (placement.device != ImageDevice::boot_filesystem) {
    // No boot filesystem to mount, so no driver for one (nor loop for a
    // partition: the image is a block device already).
    if (!placement.needs_loop) names.erase("loop");
  } else if (!in.bootfs_fstype.empty()) {
    names.insert("fs-" + in.bootfs_fstype);
    if (in.bootfs_fstype == "vfat") names.insert({"nls_cp437", "nls_utf8", "nls_ascii"});
  } else {
    choice.bootfs_type_guessed = true;
    names.insert({"fs-ext4", "fs-vfat", "nls_cp437", "nls_utf8", "nls_ascii"});
  }
  // The generic drivers load on demand, when a device that wants them is
  // there; everything else asked for (filesystems, --drivers, --hostonly)
  // loads at start.
  std::set<std::string>& on_demand = choice.on_demand;
  if (!in.hostonly && placement.modules != ModulePolicy::none)
    for (const std::string& m : in.generic_drivers) on_demand.insert(normalize_module_name(m));
  if (placement.modules == ModulePolicy::nvdimm_on_demand)
    on_demand.insert({"nd_e820", "of_pmem", "virtio_pmem", "nd_pmem"});
  for (const std::string& d : in.drivers) {
    names.insert(d);
    on_demand.erase(normalize_module_name(d));
  }
  if (in.lowerfs != "erofs") {
    // The image's own filesystem instead of EROFS; it is mounted through
    // a loop device, which the on-demand rule loads when needed.
    names.erase("erofs");
    on_demand.erase("erofs");
    names.insert("fs-" + in.lowerfs);
  }
  if (in.verity) names.insert("dm-verity");  // with dm-mod, dm-bufio: loaded at start
  if (!in.hostonly && placement.device == ImageDevice::boot_filesystem) {
    std::set<std::string> normalized;
    for (const std::string& n : names) normalized.insert(normalize_module_name(n));
    for (const std::string& m : in.boot_disk_modules) {
      if (normalized.contains(normalize_module_name(m))) continue;
      names.insert(m);
      if (placement.modules != ModulePolicy::none) on_demand.insert(normalize_module_name(m));
      choice.notes.push_back(str("added ", m, ": the boot filesystem's device uses it, "
                                 "and the generic set of storage drivers lacks it"));
    }
  }
  choice.requested.assign(names.begin(), names.end());
  choice.closure = resolve_modules(index, choice.requested);
  {
    std::set<std::string> missing;
    for (const std::string& m : choice.closure.missing) missing.insert(normalize_module_name(m));
    for (const std::string& m : in.hostonly ? in.host_modules : in.boot_disk_modules)
      if (missing.contains(normalize_module_name(m))) choice.boot_disk_missing.push_back(m);
  }
  if (in.modules_alias) {
    auto aliases = device_aliases(*in.modules_alias, on_demand);
    for (PlannedModule& m : choice.closure.plan)
      if (auto it = aliases.find(normalize_module_name(module_name(m.path))); it != aliases.end())
        m.aliases = it->second;
  }
  apply_modprobe(choice, in.modprobe);
  return choice;
}

}  // namespace iofs
