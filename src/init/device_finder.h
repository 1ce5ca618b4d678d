// Waiting for the boot device.
//
// Block devices appear asynchronously as their drivers probe. Without udev
// the kernel still announces each one on the kobject uevent netlink socket
// and creates its node in devtmpfs before it does (device_add() calls
// devtmpfs_create_node() before kobject_uevent()), so: subscribe first, then
// look at what /sys/class/block already has, then probe each device the
// uevents announce until the one asked for shows up or the time is over.
#pragma once

#include <chrono>
#include <string>

#include "core/device_spec.h"
#include "core/error.h"

namespace iofs {

struct FoundDevice {
  std::string devnode;  // /dev/vda1
  std::string fstype;   // as probed, may be empty
  int probes = 0;       // devices probed before it was found
};

Result<FoundDevice> wait_for_device(const DeviceSpec& spec,
                                    const std::string& hint,
                                    std::chrono::milliseconds timeout);

}  // namespace iofs
