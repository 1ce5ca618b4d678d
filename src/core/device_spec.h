// How a block device is named in the config: UUID=, LABEL=, PARTUUID=,
// PARTLABEL= (as in fstab(5)) or a /dev path.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace iofs {

enum class DeviceKey { path, uuid, label, partuuid, partlabel };

struct DeviceSpec {
  DeviceKey key = DeviceKey::path;
  std::string value;

  // The libblkid tag holding this key's value, "" for a path.
  std::string_view blkid_tag() const;
  // Whether value matches a probed tag value (UUIDs compare without case).
  bool matches(std::string_view probed) const;
  std::string to_string() const;
};

Result<DeviceSpec> parse_device_spec(std::string_view text);

}  // namespace iofs
