// The image's name of its own and which earlier images a commit removes
// (builder/commit.h): a crash at any moment leaves a matching pair only if
// the new image never replaces one an old mini initramfs names, and the
// clean-up never removes the new image or another kernel's.
#include <gtest/gtest.h>

#include "builder/commit.h"

using namespace iofs;

TEST(ImagePair, UniqueNameCarriesTheUuidPrefix) {
  const char* uuid = "1a2b3c4d-0000-4000-8000-0123456789ab";
  EXPECT_EQ(unique_image_name("initoverlayfs-6.12.118+deb12-amd64.img", uuid),
            "initoverlayfs-6.12.118+deb12-amd64-1a2b3c4d.img");
  EXPECT_EQ(unique_image_name("initoverlayfs.img", uuid), "initoverlayfs-1a2b3c4d.img");
  EXPECT_EQ(unique_image_name("img.erofs", uuid), "img-1a2b3c4d.erofs");
  EXPECT_EQ(unique_image_name("image", uuid), "image-1a2b3c4d");
  EXPECT_EQ(unique_image_name(".hidden", uuid), ".hidden-1a2b3c4d");
}

TEST(ImagePair, EarlierImagesOfTheSameBase) {
  const std::string base = "initoverlayfs-6.1.img";
  EXPECT_TRUE(is_earlier_image("initoverlayfs-6.1.img", base));  // before unique names
  EXPECT_TRUE(is_earlier_image("initoverlayfs-6.1-0123abcd.img", base));
  EXPECT_FALSE(is_earlier_image("initoverlayfs-6.1-0123ABCD.img", base));
  EXPECT_FALSE(is_earlier_image("initoverlayfs-6.1-0123abc.img", base));
  EXPECT_FALSE(is_earlier_image("initoverlayfs-6.1-0123abcde.img", base));
  EXPECT_FALSE(is_earlier_image("initoverlayfs-6.12-0123abcd.img", base));
  EXPECT_FALSE(is_earlier_image("initoverlayfs-6.1-0123abcd.img.old", base));
  EXPECT_FALSE(is_earlier_image(".initoverlayfs-6.1.img.Xy12Ab", base));  // a temporary file
  EXPECT_FALSE(is_earlier_image("initrd.img-6.1", base));
}

TEST(ImagePair, CleanUpKeepsTheNewImageAndOtherKernels) {
  const std::vector<std::string> dir = {
      ".", "..", "initrd.img-6.1", "initoverlayfs-6.1.img", "initoverlayfs-6.1-0123abcd.img",
      "initoverlayfs-6.1-89abcdef.img",   // the new one
      "initoverlayfs-6.1-deadbeef.img",   // kernel 6.1-deadbeef's image, from before unique names
      "vmlinuz-6.1-deadbeef", "initrd.img-6.1-deadbeef", "initoverlayfs-6.1-deadbeef-00112233.img",
      "initoverlayfs-6.12-0123abcd.img", ".initoverlayfs-6.1.img.Xy12Ab"};
  EXPECT_EQ(earlier_images(dir, "initoverlayfs-6.1.img", "initoverlayfs-6.1-89abcdef.img", "6.1"),
            (std::vector<std::string>{"initoverlayfs-6.1.img", "initoverlayfs-6.1-0123abcd.img"}));
  // Nothing earlier: nothing removed.
  EXPECT_TRUE(earlier_images({"initoverlayfs-6.1-89abcdef.img", "initrd.img-6.1"}, "initoverlayfs-6.1.img",
                             "initoverlayfs-6.1-89abcdef.img", "6.1")
                  .empty());
}

TEST(ImagePair, SeededUuidsAreStableWellFormedAndDistinct) {
  std::string a = uuid_from_seed(std::string("1700000000\0" "6.1\0" "x.img\0" "0", 22));
  EXPECT_EQ(a, uuid_from_seed(std::string("1700000000\0" "6.1\0" "x.img\0" "0", 22)));
  EXPECT_NE(a, uuid_from_seed(std::string("1700000000\0" "6.1\0" "x.img\0" "1", 22)));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '8');  // version 8
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
  EXPECT_NE(uuid_from_seed("a").substr(0, 8), uuid_from_seed("b").substr(0, 8));
}
