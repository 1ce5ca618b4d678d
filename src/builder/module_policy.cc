#include "builder/module_policy.h"

#include "builder/device_aliases.h"

namespace iofs {

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
        // memmap= region (platform:e820_pmem), virtio_pmem for the virtio
        // device, nd_pmem for the namespace either one announces (nd:t4/t5).
        names.insert({"erofs", "overlay", "nd_e820", "virtio_pmem", "nd_pmem"});
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
    on_demand.insert({"nd_e820", "virtio_pmem", "nd_pmem"});
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
  choice.requested.assign(names.begin(), names.end());
  choice.closure = resolve_modules(index, choice.requested);
  if (in.modules_alias) {
    auto aliases = device_aliases(*in.modules_alias, on_demand);
    for (PlannedModule& m : choice.closure.plan)
      if (auto it = aliases.find(normalize_module_name(module_name(m.path))); it != aliases.end())
        m.aliases = it->second;
  }
  return choice;
}

}  // namespace iofs
