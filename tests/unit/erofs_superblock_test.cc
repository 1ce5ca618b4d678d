// The EROFS superblock parser, on the first 4 KiB of an image mkfs.erofs
// 1.5 (Debian 12) made, and on garbled and truncated copies of it.
//
// samples/erofs-1.5.superblock was made by:
//   mkdir -p s/etc s/bin; seq 1 5000 >s/etc/numbers; echo '#!/bin/sh' >s/init
//   find s -exec touch -h -d @1700000000 {} +
//   SOURCE_DATE_EPOCH=1700000000 mkfs.erofs --quiet -zlz4hc,12 --preserve-mtime
//     -U 2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b sample.img s
//   head -c 4096 sample.img
// The whole image was 24576 bytes; blkid said BLOCK_SIZE="4096".
#include "core/erofs_superblock.h"

#include <gtest/gtest.h>

#include "samples.h"

using namespace iofs;

namespace {

std::string sample() {
  std::string s = read_sample("erofs-1.5.superblock");
  EXPECT_EQ(s.size(), 4096u);
  return s;
}

std::string message(std::string_view bytes) {
  auto r = parse_erofs_superblock(bytes);
  EXPECT_FALSE(r);
  return r ? "" : r.error().message();
}

}  // namespace

TEST(ErofsSuperblock, Mkfs15Sample) {
  auto sb = parse_erofs_superblock(sample());
  ASSERT_TRUE(sb) << sb.error().message();
  EXPECT_EQ(sb->blkszbits, 12);
  EXPECT_EQ(sb->blocks, 6u);
  EXPECT_EQ(sb->bytes(), 24576u);
  EXPECT_EQ(sb->uuid_string(), "2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b");
  EXPECT_EQ(sb->feature_compat, 3u);    // superblock checksum, mtime
  EXPECT_EQ(sb->feature_incompat, 1u);  // lz4 0-padding
}

TEST(ErofsSuperblock, OnlyTheSuperblockIsNeeded) {
  auto sb = parse_erofs_superblock(sample().substr(0, kErofsSuperblockEnd));
  ASSERT_TRUE(sb) << sb.error().message();
  EXPECT_EQ(sb->blocks, 6u);
}

TEST(ErofsSuperblock, Truncated) {
  std::string s = sample();
  EXPECT_EQ(message(s.substr(0, kErofsSuperblockEnd - 1)),
            "read EROFS superblock only 1151 bytes, it ends at byte 1152");
  EXPECT_EQ(message(""), "read EROFS superblock only 0 bytes, it ends at byte 1152");
  EXPECT_EQ(message(s.substr(0, 1024)), "read EROFS superblock only 1024 bytes, it ends at byte 1152");
}

TEST(ErofsSuperblock, BadMagic) {
  std::string s = sample();
  s[1024] = 0;
  EXPECT_EQ(message(s), "read EROFS superblock no EROFS magic at byte 1024 (found 0xe0f5e100)");
  EXPECT_EQ(message(std::string(4096, '\0')),
            "read EROFS superblock no EROFS magic at byte 1024 (found 0x00000000)");
  // The magic at byte 0 (a superblock moved to the start) is not EROFS.
  EXPECT_FALSE(parse_erofs_superblock(sample().substr(1024) + std::string(1024, '\0')));
}

TEST(ErofsSuperblock, AbsurdBlockSize) {
  for (uint8_t bits : {0, 8, 17, 63, 255}) {
    std::string s = sample();
    s[1024 + 12] = static_cast<char>(bits);
    EXPECT_EQ(message(s), "read EROFS superblock block size 2^" + std::to_string(bits) +
                              " is not one EROFS uses (2^9 to 2^16)");
  }
  std::string s = sample();
  s[1024 + 12] = 9;
  auto sb = parse_erofs_superblock(s);
  ASSERT_TRUE(sb);
  EXPECT_EQ(sb->bytes(), 6u * 512);
}

// The 48-bit layout of newer kernels: the high 16 bits of the block count
// where the root nid was, only when feature_incompat says so.
TEST(ErofsSuperblock, FortyEightBitBlockCount) {
  std::string s = sample();
  s[1024 + 14] = 0x02;  // root nid 2 in the old layout
  auto old_layout = parse_erofs_superblock(s);
  ASSERT_TRUE(old_layout);
  EXPECT_EQ(old_layout->blocks, 6u);
  s[1024 + 80] |= static_cast<char>(kErofsIncompat48Bit);
  auto wide = parse_erofs_superblock(s);
  ASSERT_TRUE(wide);
  EXPECT_EQ(wide->blocks, (uint64_t{2} << 32) | 6);
  EXPECT_EQ(wide->bytes(), ((uint64_t{2} << 32) | 6) << 12);
  s[1024 + 12] = 16;
  s[1024 + 14] = s[1024 + 15] = static_cast<char>(0xff);
  s[1024 + 36] = s[1024 + 37] = s[1024 + 38] = s[1024 + 39] = static_cast<char>(0xff);
  auto widest = parse_erofs_superblock(s);
  ASSERT_TRUE(widest);
  EXPECT_EQ(widest->bytes(), ((uint64_t{1} << 48) - 1) << 16);  // no overflow
}

TEST(ErofsSuperblock, GarbledBytesNeverCrash) {
  std::string s = sample();
  uint32_t seed = 1;
  for (int round = 0; round < 2000; ++round) {
    std::string g = s.substr(0, kErofsSuperblockEnd);
    for (int i = 0; i < 8; ++i) {
      seed = seed * 1103515245 + 12345;
      g[kErofsSuperblockOffset + 4 + (seed >> 8) % 124] = static_cast<char>(seed >> 16);
    }
    if (auto sb = parse_erofs_superblock(g)) {
      EXPECT_GE(sb->blkszbits, 9);
      EXPECT_LE(sb->blkszbits, 16);
      EXPECT_EQ(sb->uuid_string().size(), 36u);
    }
  }
}

TEST(CanonicalUuid, FormsAndGarbage) {
  EXPECT_EQ(canonical_uuid("2F1C8E4A-6B3D-4E5F-9A7B-0C1D2E3F4A5B"),
            "2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b");
  EXPECT_EQ(canonical_uuid("2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b"),
            "2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b");
  for (std::string_view bad : {"", "2f1c8e4a6b3d4e5f9a7b0c1d2e3f4a5b",
                               "2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5", "2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5bb",
                               "2f1c8e4a_6b3d-4e5f-9a7b-0c1d2e3f4a5b", "gf1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b",
                               "UUID=2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e"})
    EXPECT_FALSE(canonical_uuid(bad)) << bad;
}
