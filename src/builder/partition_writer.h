// Writing the image onto its partition (--placement partition
// --write-partition DEV), with the checks that keep it from destroying
// something else.
#pragma once

#include <string>

#include "core/error.h"

namespace iofs {

// Copies `image` onto the block device `dev` and syncs it. Refuses, with
// the reason, when dev is not a block device, is mounted or opened by
// someone else (exclusive open), holds a filesystem other than one of
// type `image_fstype` (an older image may be replaced), is not the device
// `expected` (the --bootfs spec the mini initramfs will look for) names, or
// is smaller than the image.
// The checks alone (except the size), to refuse before building anything.
Result<void> check_partition(const std::string& dev, const std::string& expected,
                             const std::string& image_fstype);

Result<void> write_image_to_partition(const std::string& image, const std::string& dev,
                                      const std::string& expected,
                                      const std::string& image_fstype);

}  // namespace iofs
