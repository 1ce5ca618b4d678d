// The EROFS superblock, as far as the early-boot program checks an image
// before mounting it (is it whole? is it the one it was built with?) and
// the builder reads back the UUID of the image it made.
//
// On-disk format (the kernel's fs/erofs/erofs_fs.h, struct
// erofs_super_block; Documentation/filesystems/erofs.rst): 128 bytes at
// byte 1024 of the image, all integers little-endian.
//   offset  size  field
//        0     4  magic, 0xE0F5E1E2
//        4     4  checksum (crc32c, with feature_compat bit 0)
//        8     4  feature_compat
//       12     1  blkszbits: the block size is 1 << blkszbits
//       13     1  sb_extslots: 16-byte slots after the 128 bytes
//       14     2  root nid; with the 48-bit layout (feature_incompat
//                 0x80, Linux 6.15) the high 16 bits of the block count
//       16     8  inode count
//       24    12  build time (seconds, nanoseconds)
//       36     4  blocks: the image's length in blocks (its low 32 bits
//                 with the 48-bit layout)
//       40     8  metadata and shared-xattr start blocks
//       48    16  uuid
//       64    16  volume name
//       80     4  feature_incompat
// mkfs.erofs writes the whole image's length into `blocks`, so an image
// file shorter than blocks << blkszbits is cut short (a power cut while it
// was copied); the kernel mounts such an image and fails its reads later.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace iofs {

inline constexpr uint32_t kErofsMagic = 0xE0F5E1E2;
inline constexpr size_t kErofsSuperblockOffset = 1024;
// Bytes from the start of the image that parse_erofs_superblock needs.
inline constexpr size_t kErofsSuperblockEnd = kErofsSuperblockOffset + 128;
inline constexpr uint32_t kErofsIncompat48Bit = 0x80;

struct ErofsSuperblock {
  uint8_t blkszbits = 0;
  uint64_t blocks = 0;  // 48 bits at most
  std::array<uint8_t, 16> uuid{};
  uint32_t feature_compat = 0;
  uint32_t feature_incompat = 0;

  // The image's length as the superblock states it: blocks << blkszbits.
  uint64_t bytes() const { return blocks << blkszbits; }
  // "0123abcd-...": lowercase, the form blkid and mkfs.erofs -U use.
  std::string uuid_string() const;
};

// Parses the superblock from the first bytes of an image (at least
// kErofsSuperblockEnd of them). Fails, naming what is wrong, on short
// input, a wrong magic, a block size outside 512 bytes..64 KiB. Pure.
Result<ErofsSuperblock> parse_erofs_superblock(std::string_view image_start);

// 16 bytes as a UUID in the canonical 8-4-4-4-12 form, lowercase.
std::string format_uuid(const std::array<uint8_t, 16>& bytes);

// A UUID in the canonical 8-4-4-4-12 hex form, lowercased, or nullopt.
std::optional<std::string> canonical_uuid(std::string_view text);

}  // namespace iofs
