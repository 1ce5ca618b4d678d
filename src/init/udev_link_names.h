// The names of udev's /dev/disk/by-*/ links, which service mode waits for.
//
// udev's 60-persistent-storage.rules name the links after the properties
// its blkid builtin sets: by-uuid/$ID_FS_UUID_ENC, by-label/$ID_FS_LABEL_ENC,
// by-partuuid/$ID_PART_ENTRY_UUID, by-partlabel/$ID_PART_ENTRY_NAME (the
// name encoded the same way). The *_ENC values are libblkid's
// blkid_encode_string() of the value blkid read.
#pragma once

#include <string>
#include <string_view>

#include "core/device_spec.h"

namespace iofs {

// A name as udev puts it into a /dev/disk/by-*/ link: libblkid's own
// blkid_encode_string(), which udev's blkid builtin uses for
// ID_FS_UUID_ENC, ID_FS_LABEL_ENC and ID_PART_ENTRY_NAME. A byte outside
// [0-9A-Za-z#+-.:=@_], and '\', becomes \xNN unless it starts a valid UTF-8
// sequence: shortest form, at most U+10FFFF, no surrogate, not U+FDD0 to
// U+FDEF, not U+xFFFF. The name is a C string to libblkid as to udev: a NUL
// ends it.
std::string udev_encode(std::string_view s);

// The directory of udev's links for a spec's key (/dev/disk/by-uuid, ...);
// empty for a /dev path.
std::string udev_link_dir(DeviceKey key);

// The link udev makes for the device a spec names, which service mode
// waits for: "LABEL=my boot" -> /dev/disk/by-label/my\x20boot; a /dev path
// is itself.
std::string udev_link_path(const DeviceSpec& spec);

}  // namespace iofs
