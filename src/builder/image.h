// Making the EROFS image with mkfs.erofs.
#pragma once

#include <string>

#include "core/error.h"

namespace iofs {

struct ImageFormat {
  std::string compression = "lz4hc";  // lz4hc, lz4 or none
  int level = 12;                     // lz4hc level, -1: mkfs.erofs default
};

// Refuses a format the target kernel cannot mount, when its config is
// found (/boot/config-KVER, or boot/config-KVER beside an unpacked
// lib/modules). Returns the config file used, or "" when none was found.
Result<std::string> check_kernel_reads(const std::string& moddir, const std::string& kver,
                                       const ImageFormat& fmt);

// mkfs.erofs SRC into OUT, keeping per-file mtimes, owners and modes.
Result<void> make_erofs_image(const std::string& src_dir, const std::string& out,
                              const ImageFormat& fmt, bool verbose);

}  // namespace iofs
