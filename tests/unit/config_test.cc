#include "core/config.h"

#include <gtest/gtest.h>

#include "man_page.h"
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
  EXPECT_EQ(cfg.fs_uuid, "2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b");
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

// A file that leaves a key out gets the default initoverlayfs.conf(5)
// gives for it: each row names the key, the words the page uses for its
// default, and checks what parsing such a file left in the setting.
TEST(Config, OmittedKeysTakeTheDefaultsTheManualDocuments) {
  Config cfg;
  std::vector<std::string> w;
  parse_config("bootfs LABEL=boot\nfs image.img\n", cfg, w);
  ASSERT_TRUE(w.empty()) << w.front();
  const VerityConfig& v = cfg.verity;
  struct Row {
    const char* key;
    const char* documented;
    bool holds;
  } rows[] = {
      {"placement", "bootfs (default", cfg.placement == Placement::bootfs},
      {"bootfstype", "default: detected", cfg.bootfstype.empty()},
      {"bootfs_options", "default ro.", cfg.bootfs_options == "ro"},
      {"fstype", "erofs (default)", cfg.fstype == "erofs"},
      {"fs_options", "extra mount options", cfg.fs_options.empty()},
      {"fs_uuid", "Unset (default): not checked", cfg.fs_uuid.empty()},
      {"root_layout", "overlay (default;", cfg.root_layout == RootLayout::overlay},
      {"modules", "default /etc/initoverlayfs.modules.", cfg.modules == "/etc/initoverlayfs.modules"},
      {"timeout", "default 30 seconds", cfg.timeout == 30s},
      {"module_timeout", "default 60 seconds", cfg.module_timeout == 60s},
      // Unset: the program picks shell or halt at boot.
      {"onfailure", "default shell if /bin/sh exists, else halt", !cfg.onfailure.has_value()},
      {"tmpfs_size", "default: the tmpfs default", cfg.tmpfs_size.empty()},
      {"break", "default none", cfg.break_at == BreakPoint::none},
      {"debug", "1 logs each module load", !cfg.debug},
      {"verity", "Default 0.", !v.enabled},
      {"verity_salt", "- for none (default)", v.salt == "-"},
      {"verity_data_block_size", "default 4096", v.data_block_size == 4096},
      {"verity_hash_block_size", "default 4096", v.hash_block_size == 4096},
      {"verity_hash_algorithm", "default sha256", v.hash_algorithm == "sha256"},
      {"verity_on_corruption", "eio (default;", v.on_corruption == VerityOnCorruption::eio},
  };
  auto keys = man::tagged_paragraphs(man::read_page("initoverlayfs.conf.5"), "KEYS");
  ASSERT_GT(keys.size(), 20u) << "the KEYS section of initoverlayfs.conf.5 not found";
  for (const Row& r : rows) {
    SCOPED_TRACE(r.key);
    EXPECT_TRUE(r.holds) << "a file without " << r.key << " does not get the documented default";
    const man::Paragraph* p = nullptr;
    for (const auto& k : keys)
      for (size_t at = k.tag.find(r.key); at != std::string::npos; at = k.tag.find(r.key, at + 1)) {
        size_t end = at + std::string(r.key).size();
        if ((at == 0 || k.tag[at - 1] == ' ') && (end == k.tag.size() || k.tag[end] == ','))
          p = &k;
      }
    ASSERT_NE(p, nullptr) << "initoverlayfs.conf.5 does not document " << r.key;
    EXPECT_NE(p->text.find(r.documented), std::string::npos)
        << "initoverlayfs.conf.5 no longer says '" << r.documented << "': " << p->text;
  }
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

// What the builder writes (format_config) is what the early-boot program
// reads back (parse_config), for every kind of setting.
TEST(Config, WrittenConfigReadsBackAsTheSameSettings) {
  std::vector<Config> configs(1);  // the defaults
  Config full;
  std::vector<std::string> w;
  parse_config(read_sample("full.conf"), full, w);
  ASSERT_TRUE(w.empty()) << w.front();
  configs.push_back(full);
  for (const auto& kv : std::vector<std::pair<const char*, const char*>>{
           {"placement", "initrd"}, {"placement", "partition"}, {"bootfs", "PARTLABEL=my image"},
           {"bootfs_hint", "/dev/nvme0n1p2"}, {"bootfstype", "vfat"},
           {"bootfs_options", "ro,noatime,errors=remount-ro"}, {"fs", "sub dir/image 1.img"},
           {"fstype", "squashfs"}, {"fs_options", "dax=always"}, {"modules", "/etc/other.plan"},
           {"fs_uuid", "0123abcd-0000-4000-8000-0123456789ab"},
           {"timeout", "250ms"}, {"timeout", "2m"}, {"timeout", "0"}, {"onfailure", "shell"},
           {"module_timeout", "2s"}, {"module_timeout", "90000ms"},
           {"onfailure", "reboot"}, {"onfailure", "halt"}, {"tmpfs_size", "512M"},
           {"init", "/sbin/init"}, {"root_layout", "tmpfs"}, {"debug", "1"},
           {"break", "pre-switch"}, {"break", ""}, {"break", "none"}}) {
    Config c;
    ASSERT_FALSE(apply_setting(c, kv.first, kv.second)) << kv.first << " " << kv.second;
    configs.push_back(c);
  }
  Config verity;
  for (const auto& kv : std::vector<std::pair<const char*, const char*>>{
           {"verity", "1"}, {"verity_root_hash", "00ff"}, {"verity_salt", "-"},
           {"verity_data_block_size", "512"}, {"verity_hash_block_size", "65536"},
           {"verity_data_blocks", "18446744073709551615"}, {"verity_hash_offset", "123"},
           {"verity_hash_algorithm", "sha512"}, {"verity_on_corruption", "panic"},
           {"verity_root_hash_sig", "/etc/sig.p7s"}})
    ASSERT_FALSE(apply_setting(verity, kv.first, kv.second)) << kv.first;
  configs.push_back(verity);
  for (const Config& c : configs) {
    std::string text = format_config(c);
    Config again;
    parse_config(text, again, w);
    EXPECT_TRUE(w.empty()) << w.front();
    EXPECT_TRUE(again == c) << "written:\n" << text << "read back as:\n" << format_config(again);
  }
}

// The file the builder writes for full.conf's settings, byte for byte: a
// change of format shows here, and must stay readable by older programs.
TEST(Config, WrittenFileIsStable) {
  Config cfg;
  std::vector<std::string> w;
  parse_config(read_sample("full.conf"), cfg, w);
  EXPECT_EQ(format_config(cfg),
            "# initoverlayfs configuration, see initoverlayfs.conf(5)\n"
            "placement partition\n"
            "bootfs LABEL=boot\n"
            "bootfs_hint /dev/vda1\n"
            "bootfstype ext4\n"
            "bootfs_options ro,noatime\n"
            "fs initoverlayfs-6.12.img\n"
            "fs_uuid 2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b\n"
            "fstype erofs\n"
            "fs_options dax=always\n"
            "modules /etc/initoverlayfs.modules\n"
            "timeout 1500ms\n"
            "onfailure poweroff\n"
            "tmpfs_size 25%\n"
            "init /usr/lib/systemd/systemd\n"
            "debug 1\n");
}

// fs_uuid: the canonical form, lowercased; garbage keeps the earlier
// value; an empty value (the kernel command line's initoverlayfs.fs_uuid=)
// switches the check off.
TEST(Config, FsUuid) {
  Config cfg;
  EXPECT_FALSE(apply_setting(cfg, "fs_uuid", "2F1C8E4A-6B3D-4E5F-9A7B-0C1D2E3F4A5B"));
  EXPECT_EQ(cfg.fs_uuid, "2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b");
  for (const char* bad : {"2f1c8e4a", "UUID=2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b",
                          "2f1c8e4a6b3d4e5f9a7b0c1d2e3f4a5b", "zf1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b"}) {
    auto w = apply_setting(cfg, "fs_uuid", bad);
    ASSERT_TRUE(w) << bad;
    EXPECT_NE(w->find("expected a UUID"), std::string::npos) << *w;
    EXPECT_EQ(cfg.fs_uuid, "2f1c8e4a-6b3d-4e5f-9a7b-0c1d2e3f4a5b");
  }
  auto warnings = apply_cmdline_overrides(cfg, {{"fs_uuid", ""}});
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(cfg.fs_uuid, "");
  EXPECT_EQ(format_config(cfg).find("fs_uuid"), std::string::npos);
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

TEST(Config, ModuleTimeout) {
  Config cfg;
  EXPECT_EQ(cfg.module_timeout, 60s);
  // The default is not written: a file from before the key reads the same.
  EXPECT_EQ(format_config(cfg).find("module_timeout"), std::string::npos);
  EXPECT_FALSE(apply_setting(cfg, "module_timeout", "2s"));
  EXPECT_EQ(cfg.module_timeout, 2s);
  EXPECT_NE(format_config(cfg).find("\nmodule_timeout 2000ms\n"), std::string::npos);
  for (const char* bad : {"0", "soon", "-5", "", "99999999999999999999"}) {
    SCOPED_TRACE(bad);
    auto w = apply_setting(cfg, "module_timeout", bad);
    ASSERT_TRUE(w);
    EXPECT_NE(w->find("for module_timeout"), std::string::npos) << *w;
    EXPECT_EQ(cfg.module_timeout, 2s);
  }
  auto warnings = apply_cmdline_overrides(cfg, {{"module_timeout", "5s"}});
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(cfg.module_timeout, 5s);
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

// The break point (dracut's rd.break): "initoverlayfs.break" alone on the
// kernel command line stops before the switch; "none" undoes the file's.
TEST(Config, BreakPoint) {
  Config cfg;
  EXPECT_EQ(cfg.break_at, BreakPoint::none);
  EXPECT_EQ(format_config(cfg).find("break"), std::string::npos);
  EXPECT_TRUE(apply_cmdline_overrides(cfg, {{"break", ""}}).empty());
  EXPECT_EQ(cfg.break_at, BreakPoint::pre_switch);
  EXPECT_NE(format_config(cfg).find("\nbreak pre-switch\n"), std::string::npos);
  EXPECT_TRUE(apply_cmdline_overrides(cfg, {{"break", "none"}}).empty());
  EXPECT_EQ(cfg.break_at, BreakPoint::none);
  EXPECT_TRUE(apply_cmdline_overrides(cfg, {{"break", "pre-switch"}}).empty());
  auto w = apply_cmdline_overrides(cfg, {{"break", "pre-pivot"}});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("initoverlayfs.break: bad value 'pre-pivot' for break: expected pre-switch "
                      "or none"),
            std::string::npos)
      << w[0];
  EXPECT_EQ(cfg.break_at, BreakPoint::pre_switch);  // kept
  // A bare "break" line in the file means the same as on the command line.
  Config file;
  std::vector<std::string> warnings;
  parse_config("break\n", file, warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(file.break_at, BreakPoint::pre_switch);
  // Locked when the file requires verity (a shell is something run).
  Config verity;
  verity.verity.enabled = true;
  ASSERT_EQ(apply_cmdline_overrides(verity, {{"break", ""}}).size(), 1u);
  EXPECT_EQ(verity.break_at, BreakPoint::none);
}
