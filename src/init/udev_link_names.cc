#include "init/udev_link_names.h"

#include <cstdio>
#include <cstring>

namespace iofs {

std::string udev_encode(std::string_view s) {
  // Length of the valid UTF-8 sequence starting at s[i], or 0.
  auto utf8_length = [&](size_t i) -> size_t {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    if (c >= 0xf5 || n == 0 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
    return n;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (size_t n = static_cast<unsigned char>(c) >= 0x80 ? utf8_length(i) : 0; n > 1) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               std::strchr("#+-.:=@_", c) != nullptr) {
      out += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    }
  }
  return out;
}

std::string udev_link_dir(DeviceKey key) {
  switch (key) {
    case DeviceKey::uuid: return "/dev/disk/by-uuid";
    case DeviceKey::label: return "/dev/disk/by-label";
    case DeviceKey::partuuid: return "/dev/disk/by-partuuid";
    case DeviceKey::partlabel: return "/dev/disk/by-partlabel";
    case DeviceKey::path: return {};
  }
  return {};
}

std::string udev_link_path(const DeviceSpec& spec) {
  if (spec.key == DeviceKey::path) return spec.value;
  return udev_link_dir(spec.key) + "/" + udev_encode(spec.value);
}

}  // namespace iofs
