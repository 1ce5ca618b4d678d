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
#include <functional>
#include <string>
#include <string_view>

#include "core/device_spec.h"
#include "core/error.h"
#include "core/unique_fd.h"

namespace iofs {

struct FoundDevice {
  std::string devnode;  // /dev/vda1
  std::string fstype;   // as probed, may be empty
  int probes = 0;       // devices probed before it was found
};

// Called with every device modalias: those present when the wait starts
// (read from /sys/bus/*/devices/*/modalias right after subscribing) and
// those of devices the kernel announces later. This is how drivers get
// loaded on demand, udev-style, while the wait goes on.
using ModaliasFn = std::function<void(std::string_view modalias)>;

// `uevents` is the kernel's uevent socket (core/uevent_socket.h), opened
// by the caller just before, so that a device appearing before the first
// look is not missed; without one (no CONFIG_NET: the caller says so) only
// the devices present now can be found.
Result<FoundDevice> wait_for_device(const DeviceSpec& spec,
                                    const std::string& hint,
                                    std::chrono::milliseconds timeout,
                                    UniqueFd uevents,
                                    const ModaliasFn& on_modalias = {});

// One uevent datagram: "ACTION@DEVPATH\0KEY=VALUE\0...". The views point
// into the message.
struct Uevent {
  std::string_view action, subsystem, devname, modalias;
};
Uevent parse_uevent(std::string_view msg);

// The filesystem type libblkid finds on a device, "" if none or unreadable.
std::string probe_filesystem_type(const std::string& devnode);

// The modalias of every device present now.
std::vector<std::string> present_modaliases();

}  // namespace iofs
