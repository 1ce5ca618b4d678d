// Waiting for the boot device in service mode: for the /dev/disk/by-*/
// link udev makes once it has processed the device (udev_link_names.h).
//
// The device node alone is not enough there: udev may still be probing it
// or running its rules. udevd announces every event it has finished on its
// own netlink group (core/uevent_socket.h), so: subscribe, look for the
// link, and look again after each announcement until the time is over.
#pragma once

#include <chrono>
#include <string>

#include "core/device_spec.h"
#include "core/error.h"
#include "core/unique_fd.h"

namespace iofs {

// The block device the link resolves to (/dev/vda1); a /dev path once its
// node is there. UUIDs and PARTUUIDs match without regard to case (the
// link has the case blkid read).
// `udev_events` is a socket on udev's group (core/uevent_socket.h), opened
// by the caller just before, so that a device udev finishes before the
// first look is seen; without one (the caller says so) the wait looks once
// a second instead.
Result<std::string> wait_for_udev_link(const DeviceSpec& spec, std::chrono::milliseconds timeout,
                                       UniqueFd udev_events);

}  // namespace iofs
