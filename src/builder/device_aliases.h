// Which devices want a driver: the bus patterns of modules.alias.
//
// modules.alias (written by depmod from each module's MODULE_DEVICE_TABLE)
// has lines "alias PATTERN MODULE"; PATTERN is an fnmatch(3) glob over a
// device's modalias, e.g. "virtio:d00000002v*" for virtio_blk. Only the
// patterns of device buses matter for on-demand loading; the others name
// device nodes, filesystems or crypto algorithms ("block-major-7-*",
// "fs-ext4", "crypto-crc32c") and are left out, except
// "devname:loop-control": the early-boot program asks for it by that name
// when the kernel cannot mount the image file without a loop device.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace iofs {

// The device patterns of the named modules (normalised names, '_' for
// '-'), in file order.
std::map<std::string, std::vector<std::string>> device_aliases(
    std::string_view modules_alias, const std::set<std::string>& names);

}  // namespace iofs
