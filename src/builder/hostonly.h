// --hostonly: the kernel modules this machine needs to reach one block
// device, found by reading sysfs (see Documentation/ABI/testing/sysfs-dev
// and sysfs-block in the kernel tree).
//
// /sys/dev/block/MAJ:MIN links to the device's directory under
// /sys/devices, whose ancestors are the devices it hangs off (partition,
// disk, SCSI device, host adapter, PCI function, bridges...). A device
// bound to a driver has a "driver" link; a driver built as a module has a
// "module" link there whose target's basename is the module name. Stacked
// devices (device-mapper, md) list the devices below them in "slaves/".
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace iofs {

// The modules driving block device MAJOR:MINOR (st_dev of a file on the boot
// filesystem) and every device between it and the root of the device tree,
// and, for device-mapper and md devices, those of the devices below them,
// recursively: "dm_mod" / "md_mod" and the md RAID personality ("raid1",
// "raid456"...) are added for those. Built-in drivers contribute nothing.
// Order: first seen first, walking from the device upwards, slaves in
// name order. `sysfs_root` is "/sys", or a fake tree in tests.
//
// Not found this way: device-mapper targets other than dm-crypt (the
// target is not in sysfs), and drivers of virtual devices without a parent
// (zram, nbd) - the caller's generic set or --drivers covers those.
Result<std::vector<std::string>> modules_for_block_device(
    const std::string& sysfs_root, unsigned major, unsigned minor);

}  // namespace iofs
