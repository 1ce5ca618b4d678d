#include "builder/host_config.h"

#include <gtest/gtest.h>

#include "builder/options.h"
#include "samples.h"

using namespace iofs;

using Args = std::vector<std::string>;

TEST(HostConfig, EveryKindOfLineBecomesOptions) {
  auto cfg = parse_host_config(read_sample("install.conf"), "install.conf");
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_TRUE(cfg->hooks);
  EXPECT_EQ(cfg->args, (Args{"--compression", "lz4hc,9", "--initramfs-compression", "xz",
                             "--lowerfs", "squashfs", "--drivers", "nvme,ahci", "--drivers", "xfs",
                             "--hostonly", "--set", "timeout=10", "--set", "onfailure=reboot",
                             "--output-dir", "/boot"}));
}

TEST(HostConfig, ShippedFileParsesToNothing) {
  // Everything in the packaged file is commented out: the builder's
  // built-in defaults hold until the administrator changes one.
  auto cfg = parse_host_config(read_sample("../../../dist/install.conf"), "dist/install.conf");
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_TRUE(cfg->hooks);
  EXPECT_TRUE(cfg->args.empty());
  EXPECT_NE(read_sample("../../../dist/install.conf").find("#compression lz4hc,12"), std::string::npos);
}

TEST(HostConfig, CommandLineWinsOverTheFile) {
  auto cfg = parse_host_config(read_sample("install.conf"), "install.conf");
  ASSERT_TRUE(cfg);
  Args args = cfg->args;
  for (const char* a : {"--compression", "none", "--initramfs-compression", "gzip", "--set",
                        "timeout=3", "--no-hostonly", "--drivers", "virtio_blk"})
    args.push_back(a);
  auto o = parse_builder_options(args);
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->image_compression, "none");
  EXPECT_EQ(o->initramfs_compression, "gzip");
  EXPECT_EQ(o->lowerfs, "squashfs");  // from the file, not overridden
  EXPECT_FALSE(o->hostonly);
  // Lists add up; for --set the last value of a key is the one applied.
  EXPECT_EQ(o->drivers, (Args{"nvme", "ahci", "xfs", "virtio_blk"}));
  ASSERT_EQ(o->settings.size(), 3u);
  EXPECT_EQ(o->settings.back(), (std::pair<std::string, std::string>{"timeout", "3"}));
}

TEST(HostConfig, HooksOff) {
  for (const char* text : {"hooks no\n", "hooks=off\n", "  hooks   0  \n"}) {
    auto cfg = parse_host_config(text, "f");
    ASSERT_TRUE(cfg) << text;
    EXPECT_FALSE(cfg->hooks) << text;
  }
}

TEST(HostConfig, CommentsBlankLinesAndCrlf) {
  auto cfg = parse_host_config("\n   \n# x\n  # indented comment\r\nlowerfs erofs\r\n", "f");
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_EQ(cfg->args, (Args{"--lowerfs", "erofs"}));
  EXPECT_TRUE(parse_host_config("", "f").value().args.empty());
}

TEST(HostConfig, ErrorsNameFileAndLine) {
  struct Case {
    std::string text, says;
  } cases[] = {
      {"lowerfs erofs\ncompresion lz4\n", "/etc/x.conf:2: unknown key 'compresion'"},
      {"\n\ncompression zstd\n", "/etc/x.conf:3: --compression: 'zstd' is not one of"},
      {"placement floppy\n", "/etc/x.conf:1: --placement takes bootfs, partition"},
      {"= lz4\n", "/etc/x.conf:1: no key in '= lz4'"},
      {"--lowerfs erofs\n", "/etc/x.conf:1: keys are written without dashes"},
      {"lowerfs\n", "/etc/x.conf:1: lowerfs needs a value"},
      {"hostonly maybe\n", "/etc/x.conf:1: hostonly takes yes or no, not 'maybe'"},
      {"hooks sometimes\n", "/etc/x.conf:1: hooks takes yes or no"},
      {"kver 6.1\n", "/etc/x.conf:1: 'kver' is for the command line"},
      {"initramfs /boot/x\n", "'initramfs' is for the command line"},
      {"force yes\n", "'force' is for the command line"},
      {"config /etc/other.conf\n", "'config' is for the command line"},
      {"set timeout=soon\n", "/etc/x.conf:1: --set timeout=soon: bad value 'soon'"},
      {"set nosuchkey=1\n", "unknown key 'nosuchkey'"},
      {"h\n", "unknown key 'h'"},
  };
  for (const Case& c : cases) {
    auto cfg = parse_host_config(c.text, "/etc/x.conf");
    ASSERT_FALSE(cfg) << c.text;
    EXPECT_NE(cfg.error().message().find(c.says), std::string::npos)
        << c.text << " said: " << cfg.error().message();
  }
}

TEST(HostConfig, GarbledFileIsAnErrorAtItsLine) {
  auto cfg = parse_host_config(read_sample("install.garbled"), "install.garbled");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message().find("install.garbled:2: unknown key"), std::string::npos)
      << cfg.error().message();
}

TEST(HostConfig, ConfigOptions) {
  auto o = parse_builder_options({"--config", "/tmp/c.conf"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->config_file, "/tmp/c.conf");
  EXPECT_TRUE(o->config_file_given);
  o = parse_builder_options({});
  EXPECT_EQ(o->config_file, "/etc/initoverlayfs/install.conf");
  EXPECT_FALSE(o->config_file_given);
  EXPECT_FALSE(o->no_config);
  EXPECT_FALSE(o->hook);
  o = parse_builder_options({"--no-config", "--hook"});
  EXPECT_TRUE(o->no_config);
  EXPECT_TRUE(o->hook);
}

TEST(HostConfig, MissingFilesAndNoConfig) {
  BuilderOptions o;
  o.config_file = "/nonexistent/install.conf";
  auto cfg = read_host_config(o);  // the default file may be absent
  ASSERT_TRUE(cfg);
  EXPECT_TRUE(cfg->args.empty());
  o.config_file_given = true;  // one named with --config must exist
  cfg = read_host_config(o);
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message().find("/nonexistent/install.conf"), std::string::npos);
  o.no_config = true;
  EXPECT_TRUE(read_host_config(o));
  o = BuilderOptions{};
  o.config_file = std::string(SAMPLES_DIR) + "/install.garbled";
  o.no_config = true;  // --no-config: not even read
  EXPECT_TRUE(read_host_config(o));
}
