#include "init/systemd_bus.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <functional>

#include "core/strings.h"
#include "core/unique_fd.h"

namespace iofs {

namespace {

class Writer {
 public:
  std::string out;
  void pad(size_t to) { out.resize((out.size() + to - 1) / to * to, '\0'); }
  void u8(uint8_t v) { out.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    pad(4);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  }
  void put_u32_at(size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>(v >> (8 * i));
  }
  void string(std::string_view s) {  // STRING or OBJECT_PATH
    u32(static_cast<uint32_t>(s.size()));
    out.append(s);
    out.push_back('\0');
  }
  void signature(std::string_view s) {
    u8(static_cast<uint8_t>(s.size()));
    out.append(s);
    out.push_back('\0');
  }
  // A header field: (BYTE code, VARIANT of one string-like type).
  void field(uint8_t code, char type, std::string_view value) {
    pad(8);
    u8(code);
    signature(std::string(1, type));
    if (type == 'g') signature(value);
    else string(value);
  }
};

uint32_t get_u32(std::string_view b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(b[at + i]);
  return v;
}

Result<void> send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("send", "systemd private bus");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// Reads until `buf` holds at least `want` bytes; systemd answers at once, so
// a wait of more than 30 s means it is not going to. `on_silence` runs after
// each second without an answer.
Result<void> read_at_least(int fd, std::string& buf, size_t want,
                           const std::function<Result<void>()>& on_silence = {}) {
  char chunk[4096];
  for (int waited = 0; buf.size() < want;) {
    struct pollfd p {fd, POLLIN, 0};
    int r = ::poll(&p, 1, 1000);
    if (r == 0 && ++waited >= 30) return fail("read", "systemd private bus: no answer within 30 s");
    if (r == 0) {
      if (on_silence) TRY(on_silence());
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read", "systemd private bus");
    if (n == 0) return fail("read", "systemd private bus: connection closed");
    buf.append(chunk, static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

Result<BusMessageFrame> parse_bus_frame(std::string_view in) {
  if (in.size() < 16) return fail("read", "systemd private bus: a short answer");
  if (in[0] != 'l') return fail("read", "systemd private bus: a big-endian answer");
  const uint32_t body_len = get_u32(in, 4), fields_len = get_u32(in, 12);
  BusMessageFrame m;
  m.type = static_cast<uint8_t>(in[1]);
  // In size_t: in 32 bits a fields length near 2^32 wrapped the body's start
  // to before the header's end, down to a message of 0 bytes that the
  // reader would parse again forever.
  m.body_at = (16 + size_t{fields_len} + 7) / 8 * 8;
  m.body_len = body_len;
  m.total = m.body_at + body_len;
  // The specification's maximum message length; nothing longer is read.
  constexpr size_t kMaxMessage = size_t{1} << 27;
  if (m.total > kMaxMessage)
    return fail("read", str("systemd private bus: an answer of ", m.total,
                            " bytes, more than D-Bus allows"));
  return m;
}

std::string bus_error_text(std::string_view msg, const BusMessageFrame& m) {
  // The body of an ERROR starts with its message, a STRING.
  std::string why = "refused";
  if (m.body_len >= 4 && m.body_at + 4 <= msg.size()) {
    uint32_t n = get_u32(msg, m.body_at);
    if (m.body_at + 4 + n <= m.total && m.total <= msg.size())
      why = msg.substr(m.body_at + 4, n);
  }
  return why;
}

// A method call to systemd; `body` is already marshalled for `sig`.
static std::string method_call(uint32_t serial, std::string_view interface, std::string_view member,
                        std::string_view sig, std::string_view body) {
  Writer m;
  for (char c : {'l', '\1', '\0', '\1'}) m.out.push_back(c);  // method call, version 1
  m.u32(static_cast<uint32_t>(body.size()));
  m.u32(serial);
  const size_t fields_len_at = m.out.size();
  m.u32(0);
  const size_t fields_start = m.out.size();  // 16: already aligned to 8
  m.field(1, 'o', "/org/freedesktop/systemd1");
  m.field(2, 's', interface);
  m.field(3, 's', member);
  m.field(6, 's', "org.freedesktop.systemd1");
  if (!sig.empty()) m.field(8, 'g', sig);
  m.put_u32_at(fields_len_at, static_cast<uint32_t>(m.out.size() - fields_start));
  m.pad(8);
  return m.out.append(body);
}

std::string switch_root_message(std::string_view new_root, std::string_view init) {
  Writer body;
  body.string(new_root);
  body.string(init);
  return method_call(1, "org.freedesktop.systemd1.Manager", "SwitchRoot", "ss", body.out);
}

Result<void> request_switch_root(const std::string& socket_path, std::string_view new_root,
                                 std::string_view init) {
  int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return sys_error("socket", "AF_UNIX");
  UniqueFd fd(s);
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return fail("connect", socket_path, ENAMETOOLONG);
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return sys_error("connect", socket_path);

  // SASL: a NUL byte, then EXTERNAL with our uid as hex-encoded decimal.
  std::string uid = std::to_string(::getuid()), hex;
  for (char c : uid) hex += str(std::string(1, "0123456789abcdef"[(c >> 4) & 15]),
                                std::string(1, "0123456789abcdef"[c & 15]));
  TRY(send_all(s, std::string(1, '\0') + "AUTH EXTERNAL " + hex + "\r\n"));
  std::string in;
  while (in.find("\r\n") == std::string::npos) TRY(read_at_least(s, in, in.size() + 1));
  if (!in.starts_with("OK "))
    return fail("authenticate", str(socket_path, ": ", in.substr(0, in.find("\r\n"))));
  in.erase(0, in.find("\r\n") + 2);
  TRY(send_all(s, "BEGIN\r\n" + switch_root_message(new_root, init)));
  // systemd 252's sd-bus reads the call together with BEGIN while still
  // authenticating, and then leaves it in its buffer until more data
  // arrives on the socket. A Ping (org.freedesktop.DBus.Peer, answered by
  // sd-bus itself) after each quiet second is that data; it is answered
  // after the call, so the first answer is still the call's.
  uint32_t serial = 1;
  auto ping = [&]() -> Result<void> {
    return send_all(s, method_call(++serial, "org.freedesktop.DBus.Peer", "Ping", "", ""));
  };

  // Answers until the one to serial 1 (signals are not subscribed to, but
  // are skipped if any come).
  for (;;) {
    TRY(read_at_least(s, in, 16, ping));
    const BusMessageFrame m = TRY(parse_bus_frame(in));
    TRY(read_at_least(s, in, m.total, ping));
    if (m.type == 2) return {};  // METHOD_RETURN
    if (m.type == 3)             // ERROR
      return fail("switch root", str(new_root, " to ", init, ": ", bus_error_text(in, m)));
    in.erase(0, m.total);
  }
}

}  // namespace iofs
