#include "builder/options.h"

#include <gtest/gtest.h>

using namespace iofs;

static Result<BuilderOptions> parse(std::vector<std::string> a) { return parse_builder_options(a); }

TEST(BuilderOptions, Defaults) {
  auto o = parse({});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->output_dir, "/boot");
  EXPECT_EQ(o->image_compression, "lz4hc");
  EXPECT_EQ(o->image_level, 12);
  EXPECT_EQ(o->initramfs_compression, "zstd");
  EXPECT_FALSE(o->force);
}

TEST(BuilderOptions, EveryOption) {
  auto o = parse({"-f", "--kver", "6.12.1", "--moddir=/m", "--rootdir", "/r", "--output-dir", "/o",
                  "--initramfs-name", "mini.img", "--image-name", "img.erofs", "--bootfs",
                  "LABEL=b", "--bootfstype", "ext4", "--bootfs-path", "/boot",
                  "--compression", "lz4hc,9", "--initramfs-compression", "xz", "--drivers",
                  "nvme,ahci", "--drivers", "xfs", "--hostonly", "-v", "--set", "timeout=5",
                  "--set=onfailure=reboot", "--early-boot-program", "/p"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_TRUE(o->force);
  EXPECT_TRUE(o->verbose);
  EXPECT_TRUE(o->hostonly);
  EXPECT_EQ(o->kver, "6.12.1");
  EXPECT_EQ(o->moddir, "/m");
  EXPECT_EQ(o->rootdir, "/r");
  EXPECT_EQ(o->bootfs_path, "/boot");
  EXPECT_EQ(o->image_level, 9);
  EXPECT_EQ(o->initramfs_compression, "xz");
  EXPECT_EQ(o->drivers, (std::vector<std::string>{"nvme", "ahci", "xfs"}));
  ASSERT_EQ(o->settings.size(), 2u);
  EXPECT_EQ(o->settings[1].second, "reboot");
  EXPECT_EQ(o->early_boot_program, "/p");
}

TEST(BuilderOptions, Errors) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  } cases[] = {
      {{"--kver"}, "--kver needs a value"},
      {{"--bogus"}, "unknown option '--bogus'"},
      {{"--initramfs", "a", "--rootdir", "b"}, "exclude each other"},
      {{"--compression", "zstd"}, "not one of lz4hc, lz4, none"},
      {{"--compression", "lz4,3"}, "a level (0-12) goes with lz4hc only"},
      {{"--compression", "lz4hc,13"}, "a level"},
      {{"--initramfs-compression", "brotli"}, "zstd, gzip, xz, lz4 or none"},
      {{"--set", "timeout"}, "--set takes KEY=VALUE"},
      {{"--set", "nosuchkey=1"}, "unknown key 'nosuchkey'"},
      {{"--set", "timeout=soon"}, "bad value 'soon'"},
      {{"--image-name", "../x"}, "file names, not paths"},
      {{"-f=1"}, "unknown option"},
      {{"--force=yes"}, "takes no value"},
  };
  for (const Case& c : cases) {
    auto o = parse(c.args);
    ASSERT_FALSE(o) << c.says;
    EXPECT_NE(o.error().message().find(c.says), std::string::npos) << o.error().message();
  }
}

TEST(BuilderOptions, HelpMentionsEveryOption) {
  std::string u = builder_usage();
  for (const char* opt : {"--initramfs", "--rootdir", "--kver", "--moddir", "--output-dir",
                          "--initramfs-name", "--image-name", "--force", "--bootfs ",
                          "--bootfstype", "--bootfs-path", "--compression", "--initramfs-compression",
                          "--drivers", "--hostonly", "--set", "--early-boot-program", "--verbose"})
    EXPECT_NE(u.find(opt), std::string::npos) << opt;
}
