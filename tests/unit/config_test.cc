#include "core/config.h"

#include <gtest/gtest.h>

#include "samples.h"

using namespace iofs;
using namespace std::chrono_literals;

TEST(Config, OriginalProjectKeysKeepTheirMeaning) {
  Config cfg;
  std::vector<std::string> w;
  parse_config(read_sample("original.conf"), cfg, w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(cfg.bootfs, "UUID=3c5b2ce0-8a2c-4b8f-9ad7-3f2d3a1f0c11");
  EXPECT_EQ(cfg.bootfs_hint, "/dev/vda2");
  EXPECT_EQ(cfg.bootfstype, "ext4");
  // The original wrote the image with a leading '/': still relative to the
  // boot filesystem's root.
  EXPECT_EQ(cfg.fs, "initoverlayfs-6.5.0-0.rc4.20230803git.fc39.aarch64.img");
  EXPECT_EQ(cfg.fstype, "erofs");
}

TEST(Config, EveryKey) {
  Config cfg;
  std::vector<std::string> w;
  parse_config(read_sample("full.conf"), cfg, w);
  EXPECT_TRUE(w.empty()) << w.front();
  EXPECT_EQ(cfg.placement, Placement::partition);
  EXPECT_EQ(cfg.bootfs, "LABEL=boot");
  EXPECT_EQ(cfg.bootfs_options, "ro,noatime");
  EXPECT_EQ(cfg.fs_options, "dax=always");
  EXPECT_EQ(cfg.modules, "/etc/initoverlayfs.modules");
  EXPECT_EQ(cfg.timeout, 1500ms);
  EXPECT_EQ(cfg.onfailure, FailureAction::poweroff);
  EXPECT_EQ(cfg.tmpfs_size, "25%");
  EXPECT_EQ(cfg.init, "/usr/lib/systemd/systemd");
  EXPECT_TRUE(cfg.debug);
}

TEST(Config, Placement) {
  Config cfg;
  EXPECT_EQ(cfg.placement, Placement::bootfs);
  EXPECT_FALSE(apply_setting(cfg, "placement", "initrd"));
  EXPECT_EQ(cfg.placement, Placement::initrd);
  auto w = apply_setting(cfg, "placement", "cloud");
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("expected bootfs, partition or initrd"), std::string::npos);
  EXPECT_EQ(cfg.placement, Placement::initrd);
}

TEST(Config, Defaults) {
  Config cfg;
  EXPECT_EQ(cfg.fstype, "erofs");
  EXPECT_EQ(cfg.bootfs_options, "ro");
  EXPECT_EQ(cfg.timeout, 30s);
  EXPECT_FALSE(cfg.onfailure.has_value());
  EXPECT_FALSE(cfg.debug);
}

TEST(Config, MalformedLinesWarnAndKeepEarlierValues) {
  Config cfg;
  std::vector<std::string> w;
  parse_config(read_sample("malformed.conf"), cfg, w);
  EXPECT_EQ(cfg.bootfs, "LABEL=boot");
  EXPECT_EQ(cfg.timeout, 30s);           // "soon" rejected
  EXPECT_FALSE(cfg.onfailure.has_value());  // "explode" rejected
  EXPECT_EQ(cfg.tmpfs_size, "");
  EXPECT_EQ(cfg.init, "");
  EXPECT_EQ(cfg.fs, "image.img");        // key=value accepted
  EXPECT_EQ(cfg.fstype, "erofs");
  ASSERT_EQ(w.size(), 6u);
  EXPECT_EQ(w[0], "line 3: unknown key 'bootfz'");
  EXPECT_NE(w[1].find("line 4: bad value 'soon' for timeout"), std::string::npos);
  EXPECT_NE(w[2].find("line 5: bad value 'explode' for onfailure"), std::string::npos);
  EXPECT_NE(w[3].find("line 6: no key"), std::string::npos);
  EXPECT_NE(w[4].find("line 7:"), std::string::npos);
  EXPECT_NE(w[5].find("line 8:"), std::string::npos);
}

TEST(Config, GarbledBytesNeverCrashAndAreReported) {
  Config cfg;
  std::vector<std::string> w;
  parse_config(read_sample("garbled.conf"), cfg, w);
  EXPECT_FALSE(w.empty());
  EXPECT_EQ(cfg.timeout, 30s);  // overflowing number rejected
}

TEST(Config, CrLfLineEndings) {
  Config cfg;
  std::vector<std::string> w;
  parse_config(read_sample("crlf.conf"), cfg, w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(cfg.bootfs, "UUID=abc");
  EXPECT_EQ(cfg.fs, "image.img");
}

TEST(Config, FormatRoundTrips) {
  Config cfg;
  std::vector<std::string> w;
  parse_config(read_sample("full.conf"), cfg, w);
  Config again;
  parse_config(format_config(cfg), again, w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(format_config(again), format_config(cfg));
}

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration("30"), 30s);
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("2m"), 120s);
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("-1"));
  EXPECT_FALSE(parse_duration("1.5"));
  EXPECT_FALSE(parse_duration("ms"));
  EXPECT_FALSE(parse_duration("99999999999999999999"));
}

TEST(Config, FsThatNamesNoFileIsRejected) {
  Config cfg;
  EXPECT_TRUE(apply_setting(cfg, "fs", "///").has_value());
  EXPECT_EQ(cfg.fs, "");
}

TEST(Config, RootLayout) {
  Config cfg;
  EXPECT_EQ(cfg.root_layout, RootLayout::overlay);
  EXPECT_EQ(format_config(cfg).find("root_layout"), std::string::npos);
  EXPECT_FALSE(apply_setting(cfg, "root_layout", "tmpfs"));
  EXPECT_EQ(cfg.root_layout, RootLayout::tmpfs);
  EXPECT_NE(format_config(cfg).find("root_layout tmpfs\n"), std::string::npos);
  auto w = apply_setting(cfg, "root_layout", "ramfs");
  ASSERT_TRUE(w);
  EXPECT_NE(w->find("expected overlay or tmpfs"), std::string::npos);
  EXPECT_EQ(cfg.root_layout, RootLayout::tmpfs);
}
