#include "init/udev_link_names.h"

#include <blkid/blkid.h>

#include <cstring>

namespace iofs {

std::string udev_encode(std::string_view s) {
  const std::string name(s.substr(0, s.find('\0')));
  // At most 4 bytes out for a byte in ("\xNN"); blkid_encode_string()
  // fails unless 4 more are free after what it wrote, so it cannot here.
  std::string out(4 * name.size() + 4, '\0');
  if (blkid_encode_string(name.c_str(), out.data(), out.size()) != 0) return {};
  out.resize(std::strlen(out.c_str()));
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
