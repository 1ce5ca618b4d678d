// Which images boot loader entries still need (builder/boot_entries.h):
// systemd-boot's copy of the mini initramfs in its entry directory names
// the image of the build before until kernel-install replaces it, and the
// builder must keep that image until then (a crash in between would leave
// an entry whose image is gone). One test per layout kernel-install makes.
#include "builder/boot_entries.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "builder/commit.h"
#include "builder/cpio.h"
#include "builder/mini_initramfs.h"
#include "builder/pe.h"
#include "core/strings.h"
#include "pe_sample.h"

using namespace iofs;
namespace fs = std::filesystem;

namespace {

std::string mini_naming(std::string_view image) {
  std::string out;
  CpioWriter w(out);
  auto file = [&](std::string name, std::string data) {
    w.add(CpioEntry{.name = std::move(name), .mode = S_IFREG | 0644, .data = std::move(data)});
  };
  file(std::string(kMiniInitramfsMarker), "initoverlayfs-install 9.8.7\n");
  file("etc/initoverlayfs.conf", str("placement bootfs\nbootfs UUID=1E0F-A7B3\nfs ", image, "\n"));
  w.finish();
  return out;
}

std::string classic() {
  std::string out;
  CpioWriter w(out);
  w.add(CpioEntry{.name = "init", .mode = S_IFREG | 0755, .data = "#!/bin/sh\n"});
  w.finish();
  return out;
}

class BootEntries : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/iofs-entries-XXXXXX";
    ASSERT_TRUE(::mkdtemp(tmpl));
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }
  void put(const std::string& rel, const std::string& data) {
    fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
  }
  std::string root_;
};

}  // namespace

TEST(BootEntriesParse, InitrdLines) {
  EXPECT_EQ(entry_initrds("title Debian\nversion 6.12\n"
                          "linux /mid/6.12/linux\n"
                          "initrd /mid/6.12/microcode /mid/6.12/initrd.img-6.12\n"
                          "\tinitrd\t/extra.img\n"
                          "initrdx /not-this\n"
                          "options root=LABEL=r initrd=/nor-this\n"),
            (std::vector<std::string>{"/mid/6.12/microcode", "/mid/6.12/initrd.img-6.12", "/extra.img"}));
  EXPECT_TRUE(entry_initrds("").empty());
  EXPECT_TRUE(entry_initrds("initrd\n").empty());
  EXPECT_TRUE(entry_initrds(std::string("\0\xff initrd", 9)).empty());
}

// /boot the ESP (or XBOOTLDR): the entry's copy of the old mini initramfs
// names the old image until kernel-install copies the new one.
TEST_F(BootEntries, CopyOfAnEarlierMiniKeepsItsImage) {
  put("loader/entries/mid-6.12.conf", "linux /mid/6.12/linux\ninitrd /mid/6.12/initrd.img-6.12\n");
  put("mid/6.12/initrd.img-6.12", mini_naming("/initoverlayfs-6.12-0123abcd.img"));
  // Another kernel's entry, whose initrd is classic: names nothing.
  put("loader/entries/mid-6.1.conf", "linux /mid/6.1/linux\ninitrd /mid/6.1/initrd.img-6.1\n");
  put("mid/6.1/initrd.img-6.1", classic());
  // An entry whose initrd is gone, and one that is no initramfs at all.
  put("loader/entries/gone.conf", "initrd /mid/gone/initrd\n");
  put("loader/entries/garbage.conf", "initrd /garbage\n");
  put("garbage", std::string(4096, '\x5a'));
  put("loader/entries/not-an-entry.txt", "initrd /mid/6.12/initrd.img-6.12\n");
  auto named = images_named_by_entries({root_});
  ASSERT_TRUE(named) << named.error().message();
  ASSERT_EQ(named->size(), 1u);
  EXPECT_EQ(named->begin()->first, "initoverlayfs-6.12-0123abcd.img");
  EXPECT_EQ(named->begin()->second, root_ + "/loader/entries/mid-6.12.conf");
}

// /boot on the root filesystem: the configuration's path has /boot in
// front; the image's file name is what the output directory holds.
TEST_F(BootEntries, ImagePathBelowTheRootOfItsFilesystem) {
  put("loader/entries/a.conf", "initrd mid/k/initrd\n");
  put("mid/k/initrd", mini_naming("/boot/initoverlayfs-k-89abcdef.img"));
  auto named = images_named_by_entries({root_});
  ASSERT_TRUE(named) << named.error().message();
  EXPECT_EQ(named->count("initoverlayfs-k-89abcdef.img"), 1u);
}

// A unified kernel image (--uki) is a type #2 entry: its .initrd section
// is its mini initramfs. One with another .initrd, a PE file without one,
// and a file that is no PE file at all name nothing.
TEST_F(BootEntries, UnifiedKernelImageKeepsTheImageItsInitrdNames) {
  auto uki = [](std::string initrd) {
    return iofs::test::sample_pe(kPeMachineX86_64, {{.name = ".text", .data = "stub", .virtual_address = 0x1000},
                                                    {.name = ".initrd", .data = std::move(initrd),
                                                     .virtual_address = 0x2000}});
  };
  put("EFI/Linux/debian-6.12.efi", uki(mini_naming("/initoverlayfs-6.12-0123abcd.img")));
  put("EFI/Linux/classic-6.1.EFI", uki(classic()));
  put("EFI/Linux/no-initrd.efi", iofs::test::sample_pe(kPeMachineX86_64, {{.name = ".text", .data = "x"}}));
  put("EFI/Linux/garbage.efi", std::string(4096, '\x5a'));
  put("EFI/Linux/cut.efi", uki(mini_naming("/initoverlayfs-6.12-89abcdef.img")).substr(0, 700));
  put("EFI/Linux/not-an-efi.txt", uki(mini_naming("/initoverlayfs-6.12-fedcba98.img")));
  auto named = images_named_by_entries({root_});
  ASSERT_TRUE(named) << named.error().message();
  ASSERT_EQ(named->size(), 1u);
  EXPECT_EQ(named->begin()->first, "initoverlayfs-6.12-0123abcd.img");
  EXPECT_EQ(named->begin()->second, root_ + "/EFI/Linux/debian-6.12.efi");
}

TEST_F(BootEntries, NoEntriesNameNothing) {
  auto named = images_named_by_entries({root_, root_ + "/missing"});
  ASSERT_TRUE(named) << named.error().message();
  EXPECT_TRUE(named->empty());
}

// An initrd that exists but cannot be read: the caller cannot tell what it
// needs, so it is an error (the builder then keeps every earlier image).
TEST_F(BootEntries, UnreadableInitrdIsAnError) {
  put("loader/entries/a.conf", "initrd /dir-not-file\n");
  fs::create_directories(fs::path(root_) / "dir-not-file");
  EXPECT_FALSE(images_named_by_entries({root_}));
}

TEST_F(BootEntries, RootsStartAtTheOutputDirectorysMount) {
  fs::create_directories(fs::path(root_) / "sub/dir");
  std::string mountinfo = str("1 0 8:1 / / rw - ext4 /dev/vda1 rw\n2 1 8:2 / ", root_,
                              " rw - vfat /dev/vda2 rw\n");
  auto roots = entry_roots(root_ + "/sub/dir", mountinfo);
  ASSERT_FALSE(roots.empty());
  EXPECT_EQ(roots.front(), fs::canonical(root_).string());
  for (size_t i = 0; i < roots.size(); ++i)
    for (size_t j = i + 1; j < roots.size(); ++j) EXPECT_NE(roots[i], roots[j]);
}

// --prune (the kernel-install plugin, after the entry got the new copy):
// the image the output directory's mini initramfs names stays, and so do
// other kernels' images; the earlier ones of this kernel go.
TEST_F(BootEntries, PruneKeepsWhatTheMiniInitramfsNames) {
  put("initrd.img-6.12", mini_naming("/initoverlayfs-6.12-0123abcd.img"));
  for (const char* name : {"initoverlayfs-6.12-0123abcd.img", "initoverlayfs-6.12-89abcdef.img",
                           "initoverlayfs-6.12.img", "initoverlayfs-6.1-00000000.img"})
    put(name, "image");
  BuilderOptions o;
  o.kver = "6.12";
  o.output_dir = root_;
  o.initramfs_name = "initrd.img-6.12";
  auto r = prune_images(o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(fs::exists(root_ + "/initoverlayfs-6.12-0123abcd.img"));
  EXPECT_TRUE(fs::exists(root_ + "/initoverlayfs-6.1-00000000.img"));
  EXPECT_FALSE(fs::exists(root_ + "/initoverlayfs-6.12-89abcdef.img"));
  EXPECT_FALSE(fs::exists(root_ + "/initoverlayfs-6.12.img"));
}

// After the purge the initramfs is classic: it names nothing, so every
// earlier image of the kernel goes.
TEST_F(BootEntries, PruneNextToAClassicInitramfsRemovesEveryEarlierImage) {
  put("initrd.img-6.12", classic());
  put("initoverlayfs-6.12-0123abcd.img", "image");
  BuilderOptions o;
  o.kver = "6.12";
  o.output_dir = root_;
  o.initramfs_name = "initrd.img-6.12";
  ASSERT_TRUE(prune_images(o));
  EXPECT_FALSE(fs::exists(root_ + "/initoverlayfs-6.12-0123abcd.img"));
  EXPECT_TRUE(fs::exists(root_ + "/initrd.img-6.12"));
}
