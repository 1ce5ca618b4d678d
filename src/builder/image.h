// Making the image: EROFS with mkfs.erofs (the default), or squashfs, ext4
// or btrfs with their own well-kept tools.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace iofs {

struct ImageFormat {
  std::string fs = "erofs";           // erofs, squashfs, ext4, btrfs
  std::string compression = "lz4hc";  // erofs: lz4hc, lz4 or none
  int level = 12;                     // lz4hc level, -1: mkfs.erofs default
  std::string uuid;                   // erofs: filesystem UUID to set (-U)
  bool dax = false;                   // mounted with dax=always (the pmem placements)
};

// The value of KEY (CONFIG_...) in a kernel config's text; "" if unset.
std::string kernel_config_value(std::string_view config, std::string_view key);

// Refuses a format the target kernel cannot mount, when its config is
// found (/boot/config-KVER, or boot/config-KVER beside an unpacked
// lib/modules). Returns the config file used, or "" when none was found.
Result<std::string> check_kernel_reads(const std::string& moddir, const std::string& kver,
                                       const ImageFormat& fmt);

// Makes the image OUT (an existing, empty file) from SRC, keeping modes,
// owners, device nodes, links, xattrs and per-file mtimes:
//   erofs     mkfs.erofs -zALGO,LEVEL --preserve-mtime
//   squashfs  mksquashfs -comp zstd (both target kernels read zstd squashfs)
//   ext4      mkfs.ext4 -d, without a journal (nothing to replay, ever)
//   btrfs     mkfs.btrfs --rootdir --shrink (btrfs-progs 6.2 writes no
//             compressed extents at mkfs time)
Result<void> make_image(const std::string& src_dir, const std::string& out,
                        const ImageFormat& fmt, bool verbose);

}  // namespace iofs
