// The names of udev's /dev/disk/by-*/ links that service mode waits for.
#include <gtest/gtest.h>

#include <string>

#include "core/device_spec.h"
#include "init/udev_link_names.h"

using namespace iofs;

TEST(UdevLinks, EncodeAsBlkidDoes) {
  EXPECT_EQ(udev_encode(""), "");
  EXPECT_EQ(udev_encode("5352cc4b-0a1b"), "5352cc4b-0a1b");
  EXPECT_EQ(udev_encode("my boot"), "my\\x20boot");
  EXPECT_EQ(udev_encode("a/b\\c"), "a\\x2fb\\x5cc");
  EXPECT_EQ(udev_encode("#+-.:=@_"), "#+-.:=@_");
  EXPECT_EQ(udev_encode("b\xc3\xa4t"), "b\xc3\xa4t");    // valid UTF-8 stays
  EXPECT_EQ(udev_encode("b\xc3t"), "b\\xc3t");             // a broken sequence does not
  EXPECT_EQ(udev_encode("\xff"), "\\xff");
}

// What service mode waits for, given the config's bootfs: the link udev's
// 60-persistent-storage.rules make from blkid's ID_FS_UUID_ENC,
// ID_FS_LABEL_ENC, ID_PART_ENTRY_UUID and ID_PART_ENTRY_NAME.
TEST(UdevLinks, WaitsForTheLinkUdevMakesForTheBootDevice) {
  struct Case {
    const char* bootfs;
    const char* link;
  } cases[] = {
      {"UUID=5352cc4b-9b3c-4d2e-8f0a-6c1d2e3f4a5b",
       "/dev/disk/by-uuid/5352cc4b-9b3c-4d2e-8f0a-6c1d2e3f4a5b"},
      {"UUID=5D3E-1A2B", "/dev/disk/by-uuid/5D3E-1A2B"},  // vfat
      {"LABEL=my boot", "/dev/disk/by-label/my\\x20boot"},
      {"LABEL=efi/boot", "/dev/disk/by-label/efi\\x2fboot"},
      {"PARTUUID=0a1b2c3d-01", "/dev/disk/by-partuuid/0a1b2c3d-01"},
      {"PARTLABEL=initoverlayfs_a", "/dev/disk/by-partlabel/initoverlayfs_a"},
      {"/dev/vda1", "/dev/vda1"},
  };
  for (const Case& c : cases) {
    auto spec = parse_device_spec(c.bootfs);
    ASSERT_TRUE(spec) << c.bootfs << ": " << spec.error().message();
    EXPECT_EQ(udev_link_path(*spec), c.link) << c.bootfs;
  }
}

// Labels as they appear in the field, pinned byte for byte: what udev names
// the link for each (the ID_FS_LABEL_ENC that blkid -p -o udev prints).
TEST(UdevLinks, EncodesLabelsAsUdevNamesTheirLinks) {
  struct Case {
    std::string label, link_name;
  } cases[] = {
      // spaces and other ASCII punctuation
      {"EFI System Partition", "EFI\\x20System\\x20Partition"},
      {"  lead", "\\x20\\x20lead"},
      {"a b\tc", "a\\x20b\\x09c"},
      {"it's \"quoted\"", "it\\x27s\\x20\\x22quoted\\x22"},
      {"50%,[x];{y}|z~`!$&*()?<>^", "50\\x25\\x2c\\x5bx\\x5d\\x3b\\x7by\\x7d\\x7cz\\x7e\\x60\\x21\\x24\\x26\\x2a\\x28\\x29\\x3f\\x3c\\x3e\\x5e"},
      // slashes, either way
      {"/boot", "\\x2fboot"},
      {"efi/boot/", "efi\\x2fboot\\x2f"},
      {"C:\\boot", "C:\\x5cboot"},
      {"\\x20", "\\x5cx20"},  // an already encoded name is encoded again
      // valid UTF-8 stays as it is: 2, 3 and 4 bytes
      {"Daten f\xc3\xbcr M\xc3\xbcller", "Daten\\x20f\xc3\xbcr\\x20M\xc3\xbcller"},
      {"\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac"},                   // CJK
      {"\xd0\xb4\xd0\xb8\xd1\x81\xd0\xba", "\xd0\xb4\xd0\xb8\xd1\x81\xd0\xba"},  // Cyrillic
      {"boot\xf0\x9f\x90\xa7", "boot\xf0\x9f\x90\xa7"},                             // U+1F427
      {"\xc2\xa0nbsp", "\xc2\xa0nbsp"},  // U+00A0 is UTF-8, not ASCII white space
      // broken UTF-8: each byte that starts no valid sequence is encoded
      {"b\xc3", "b\\xc3"},                         // cut short at the end
      {"\xc3\x28", "\\xc3\\x28"},                   // no continuation byte
      {"\xa4\xc3\xa4", "\\xa4\xc3\xa4"},             // a stray continuation byte
      {"\xc0\xaf", "\\xc0\\xaf"},                   // overlong "/"
      {"\xe2\x82", "\\xe2\\x82"},                   // 3-byte sequence cut short
      {"\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80"},  // 5-byte form
      {"latin1 \xe9t\xe9", "latin1\\x20\\xe9t\\xe9"},  // ISO 8859-1, not UTF-8
      // control bytes and DEL
      {"a\x01\x1f\x7f", "a\\x01\\x1f\\x7f"},
      {"line\nbreak\r", "line\\x0abreak\\x0d"},
      {"\x1b[1m", "\\x1b\\x5b1m"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(udev_encode(c.label), c.link_name) << "label '" << c.label << "'";
  // The link of a label with each of these, as service mode waits for it.
  auto spec = parse_device_spec("LABEL=EFI System/Boot");
  ASSERT_TRUE(spec);
  EXPECT_EQ(udev_link_path(*spec), "/dev/disk/by-label/EFI\\x20System\\x2fBoot");
}

// Where libblkid's UTF-8 check is stricter than "well-formed and not cut
// short": udev encodes these bytes, so the link has them as \xNN.
TEST(UdevLinks, EncodesWhatBlkidDoesNotTakeAsUtf8) {
  EXPECT_EQ(udev_encode("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");          // overlong 3-byte "/"
  EXPECT_EQ(udev_encode("\xf0\x80\x80\xaf"), "\\xf0\\x80\\x80\\xaf");  // overlong 4-byte "/"
  EXPECT_EQ(udev_encode("\xed\xa0\x80"), "\\xed\\xa0\\x80");          // U+D800, a surrogate
  EXPECT_EQ(udev_encode("\xef\xb7\x90"), "\\xef\\xb7\\x90");          // U+FDD0, a non-character
  EXPECT_EQ(udev_encode("\xef\xbf\xbf"), "\\xef\\xbf\\xbf");          // U+FFFF
  EXPECT_EQ(udev_encode("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  EXPECT_EQ(udev_encode("\xef\xbf\xbd"), "\xef\xbf\xbd");              // U+FFFD is fine
  EXPECT_EQ(udev_encode("\xf4\x8f\xbf\xbd"), "\xf4\x8f\xbf\xbd");      // U+10FFFD too
}

// No link name has a NUL; a name is a C string to udev and libblkid.
TEST(UdevLinks, NulEndsTheName) {
  EXPECT_EQ(udev_encode(std::string("my boot\0x", 9)), "my\\x20boot");
  EXPECT_EQ(udev_encode(std::string("\0", 1)), "");
}
