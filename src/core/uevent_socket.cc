#include "core/uevent_socket.h"

#include <linux/netlink.h>
#include <sys/socket.h>

namespace iofs {

Result<UniqueFd> open_uevent_socket(UeventGroup group, int receive_buffer_bytes) {
  int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    NETLINK_KOBJECT_UEVENT);
  if (fd < 0) return sys_error("socket", "NETLINK_KOBJECT_UEVENT");
  UniqueFd sock(fd);
  if (receive_buffer_bytes > 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer_bytes,
                       sizeof receive_buffer_bytes);
  struct sockaddr_nl addr {};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = static_cast<uint32_t>(group);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return sys_error("bind", group == UeventGroup::kernel ? "uevent netlink socket"
                                                          : "udev netlink monitor");
  return sock;
}

}  // namespace iofs
