// The kobject uevent netlink socket (NETLINK_KOBJECT_UEVENT, netlink(7)).
//
// The kernel multicasts one datagram per device event to group 1, as
// "ACTION@DEVPATH\0KEY=VALUE\0..." (lib/kobject_uevent.c; parsed by
// parse_uevent() in init/device_finder.h). udevd sends each event again to
// group 2 once its rules have run (so after the /dev/disk/by-*/ links are
// made), in libudev's own format, which nothing here parses: a message
// there only means "look again".
#pragma once

#include <cstdint>

#include "core/error.h"
#include "core/unique_fd.h"

namespace iofs {

enum class UeventGroup : uint32_t { kernel = 1, udev = 2 };

// A non-blocking socket subscribed to `group`. With receive_buffer_bytes
// not 0, the receive queue is forced to that size (SO_RCVBUFFORCE, which
// needs CAP_NET_ADMIN; without it the default size stays), so a burst of
// events at driver probe time does not overflow it.
Result<UniqueFd> open_uevent_socket(UeventGroup group, int receive_buffer_bytes = 0);

}  // namespace iofs
