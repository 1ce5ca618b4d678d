// Asking systemd (PID 1) to switch root, over its private D-Bus socket.
//
// `systemctl switch-root ROOT INIT` drops INIT when it is the same file as
// ROOT's own systemd binary (a dracut initramfs's /init is a symlink to it),
// and systemd then re-executes itself in ROOT with its state serialized:
// the full initramfs's systemd would carry on the mini initramfs's units and
// mounts (sysroot.mount "mounted", so initrd-root-fs.target is reached at
// once and it switches root into an empty /sysroot). Calling the manager's
// SwitchRoot method directly with the init makes systemd execute that init
// without serialization, as the kernel would have started it.
//
// The D-Bus wire format (https://dbus.freedesktop.org/doc/dbus-specification.html,
// "Message Protocol"): SASL "AUTH EXTERNAL <uid in hex>", then messages of a
// 12-byte fixed header (endianness 'l', type, flags, version 1, body length,
// serial), an array of (BYTE code, VARIANT value) header fields aligned to 8,
// padding to 8, and the body. systemd's private socket
// (/run/systemd/private, what systemctl uses as root) is a peer-to-peer
// connection: no bus daemon, no Hello.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace iofs {

// The method call org.freedesktop.systemd1.Manager.SwitchRoot(ss) with
// serial 1, little-endian.
std::string switch_root_message(std::string_view new_root, std::string_view init);

// Where a message at the start of `in` (at least its 16-byte fixed header)
// ends, what it is, and where its body starts: read until `total` bytes.
struct BusMessageFrame {
  uint8_t type = 0;  // 2 METHOD_RETURN, 3 ERROR, 4 SIGNAL
  size_t body_at = 0;
  uint32_t body_len = 0;
  size_t total = 0;
};
Result<BusMessageFrame> parse_bus_frame(std::string_view in);

// The error message an ERROR message's body starts with; "refused" if it has
// none. `msg` holds the whole message.
std::string bus_error_text(std::string_view msg, const BusMessageFrame& m);

// Connects to `socket_path`, authenticates as this uid, sends the call and
// waits for systemd's answer.
Result<void> request_switch_root(const std::string& socket_path, std::string_view new_root,
                                 std::string_view init);

}  // namespace iofs
