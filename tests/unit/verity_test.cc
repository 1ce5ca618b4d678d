#include <gtest/gtest.h>

#include "core/config.h"
#include "init/dm_verity.h"

using namespace iofs;
using Overrides = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr const char* kRoot = "e49a24e347b539d85a5654d39869ef66969ef8cb5e332e711b607c3ff9cae046";
constexpr const char* kSalt = "3db62b76cc85123ccbdee1a60140e022a7fb9b833e60b44ce8f9d31a04c9023d";

// What the builder writes for a 16385-block image (the figures veritysetup
// 2.6.1 printed for it).
const char* kVerityConf =
    "bootfs LABEL=boot\n"
    "fs initoverlayfs.img\n"
    "verity 1\n"
    "verity_root_hash E49A24E347B539D85A5654D39869EF66969EF8CB5E332E711B607C3FF9CAE046\n"
    "verity_salt 3db62b76cc85123ccbdee1a60140e022a7fb9b833e60b44ce8f9d31a04c9023d\n"
    "verity_data_block_size 4096\n"
    "verity_hash_block_size 4096\n"
    "verity_data_blocks 16385\n"
    "verity_hash_offset 67112960\n"
    "verity_hash_algorithm sha256\n"
    "verity_on_corruption restart\n"
    "verity_root_hash_sig /etc/initoverlayfs.roothash.p7s\n";

Config verity_config() {
  Config cfg;
  std::vector<std::string> w;
  parse_config(kVerityConf, cfg, w);
  EXPECT_TRUE(w.empty()) << w.front();
  return cfg;
}

}  // namespace

TEST(VerityConfig, EveryKey) {
  Config cfg = verity_config();
  const VerityConfig& v = cfg.verity;
  EXPECT_TRUE(v.enabled);
  EXPECT_EQ(v.root_hash, kRoot);  // lowercased: the signature is over this text
  EXPECT_EQ(v.salt, kSalt);
  EXPECT_EQ(v.data_block_size, 4096u);
  EXPECT_EQ(v.hash_block_size, 4096u);
  EXPECT_EQ(v.data_blocks, 16385u);
  EXPECT_EQ(v.hash_offset, 67112960u);
  EXPECT_EQ(v.hash_algorithm, "sha256");
  EXPECT_EQ(v.on_corruption, VerityOnCorruption::restart);
  EXPECT_EQ(v.root_hash_sig, "/etc/initoverlayfs.roothash.p7s");
  EXPECT_FALSE(verity_config_problem(v));
}

// An image without verity gets a config without any verity key (older
// programs read it too); one with verity reads back with every parameter.
TEST(VerityConfig, WrittenOnlyWhenEnabledAndReadsBackWhole) {
  Config plain;
  plain.verity.salt = "00";  // a disabled verity's leftovers are not written
  EXPECT_EQ(format_config(plain).find("verity"), std::string::npos);

  Config cfg = verity_config();
  Config again;
  std::vector<std::string> w;
  parse_config(format_config(cfg), again, w);
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(again.verity == cfg.verity) << format_config(again);
  EXPECT_EQ(again.verity.root_hash, kRoot);
  EXPECT_EQ(again.verity.on_corruption, VerityOnCorruption::restart);
}

TEST(VerityConfig, BadValuesAreRefused) {
  Config cfg;
  for (auto [key, value] : std::vector<std::pair<const char*, const char*>>{
           {"verity", "maybe"},
           {"verity_root_hash", "xyz"},
           {"verity_root_hash", "abc"},  // odd number of digits
           {"verity_salt", "0g"},
           {"verity_data_block_size", "4000"},
           {"verity_hash_block_size", "256"},
           {"verity_data_blocks", "-1"},
           {"verity_hash_offset", "1k"},
           {"verity_hash_algorithm", "sha256 1 2"},
           {"verity_on_corruption", "ignore"},
           {"verity_root_hash_sig", "relative.p7s"},
       }) {
    auto w = apply_setting(cfg, key, value);
    ASSERT_TRUE(w) << key << "=" << value;
    EXPECT_NE(w->find(key), std::string::npos) << *w;
  }
  EXPECT_FALSE(cfg.verity.enabled);
  EXPECT_EQ(cfg.verity.data_block_size, 4096u);
  EXPECT_FALSE(apply_setting(cfg, "verity_salt", "-"));
  EXPECT_FALSE(apply_setting(cfg, "verity_on_corruption", "panic"));
  EXPECT_EQ(cfg.verity.on_corruption, VerityOnCorruption::panic);
}

TEST(VerityConfig, IncompleteSettingsAreNamed) {
  VerityConfig v;
  v.enabled = true;
  EXPECT_EQ(verity_config_problem(v), "no verity_root_hash");
  v.root_hash = kRoot;
  EXPECT_EQ(verity_config_problem(v), "no verity_data_blocks");
  v.data_blocks = 10;
  v.hash_offset = 4096;  // inside the data
  EXPECT_NE(verity_config_problem(v)->find("inside the 10 data blocks"), std::string::npos);
  v.hash_offset = 40961;
  EXPECT_NE(verity_config_problem(v)->find("not a multiple"), std::string::npos);
  v.hash_offset = 40960;
  EXPECT_FALSE(verity_config_problem(v));
}

TEST(VerityLock, CommandLineCannotChangeRequiredVerity) {
  Config cfg = verity_config();
  const std::string before = format_config(cfg);
  auto w = apply_cmdline_overrides(
      cfg, Overrides{{"verity", "0"},
                     {"verity_root_hash", std::string(64, '0')},
                     {"verity_salt", "-"},
                     {"verity_data_blocks", "1"},
                     {"verity_hash_offset", "4096"},
                     {"verity_data_block_size", "512"},
                     {"verity_hash_algorithm", "sha1"},
                     {"verity_on_corruption", "eio"},
                     {"verity_root_hash_sig", "/dev/null"},
                     {"timeout", "5s"}});
  // Everything verity is as the file says; other keys still apply.
  Config expected = verity_config();
  expected.timeout = std::chrono::seconds(5);
  EXPECT_EQ(format_config(cfg), format_config(expected));
  EXPECT_NE(format_config(cfg), before);
  ASSERT_EQ(w.size(), 9u);
  EXPECT_EQ(w[0],
            "initoverlayfs.verity: refused: the configuration requires dm-verity, whose "
            "settings the kernel command line cannot change");
  EXPECT_EQ(w[1].rfind("initoverlayfs.verity_root_hash: refused", 0), 0u) << w[1];
  EXPECT_EQ(w[8].rfind("initoverlayfs.verity_root_hash_sig: refused", 0), 0u) << w[8];
}

// Issue 15: with verity required, the keys that change what is mounted or
// run are locked too; the others (timeouts, the tmpfs size, debug) are not.
TEST(VerityLock, CommandLineCannotChangeWhatIsMountedOrRun) {
  Config cfg = verity_config();
  cfg.fs = "/boot/initoverlayfs-6.12-0123abcd.img";
  cfg.init = "/sbin/init";
  Config expected = cfg;
  auto w = apply_cmdline_overrides(
      cfg, Overrides{{"fs", "/other.img"},
                     {"fstype", "squashfs"},
                     {"fs_options", "noacl"},
                     {"bootfs_options", "errors=continue"},
                     {"modules", "evil"},
                     {"init", "/bin/sh"},
                     {"break", "pre-switch"},
                     {"onfailure", "shell"},
                     {"tmpfs_size", "25%"},
                     {"debug", "1"}});
  expected.tmpfs_size = "25%";
  expected.debug = true;
  EXPECT_EQ(format_config(cfg), format_config(expected));
  EXPECT_EQ(cfg.break_at, BreakPoint::none);
  ASSERT_EQ(w.size(), 8u);
  EXPECT_EQ(w[0], "initoverlayfs.fs: refused: the configuration requires dm-verity, and what is "
                  "mounted or run comes from it alone");
  EXPECT_EQ(w[5].rfind("initoverlayfs.init: refused", 0), 0u) << w[5];
  EXPECT_EQ(w[7].rfind("initoverlayfs.onfailure: refused", 0), 0u) << w[7];
  // Without verity in the file the same keys apply.
  Config open;
  EXPECT_TRUE(apply_cmdline_overrides(open, Overrides{{"fs", "/other.img"}, {"init", "/bin/sh"}}).empty());
  EXPECT_EQ(open.fs, "other.img");  // stored relative to the boot filesystem's root
  EXPECT_EQ(open.init, "/bin/sh");
}

TEST(VerityLock, CommandLineMayEnableVerityWhenTheFileDoesNot) {
  Config cfg;
  auto w = apply_cmdline_overrides(
      cfg, Overrides{{"verity", "1"}, {"verity_root_hash", kRoot}, {"verity_data_blocks", "2"},
                     {"verity_hash_offset", "8192"}, {"onfailure", "explode"}});
  EXPECT_TRUE(cfg.verity.enabled);
  EXPECT_EQ(cfg.verity.root_hash, kRoot);
  EXPECT_EQ(cfg.verity.data_blocks, 2u);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].rfind("initoverlayfs.onfailure: bad value 'explode'", 0), 0u) << w[0];
}

TEST(VerityLock, DisabledInTheFileIsNotLocked) {
  Config cfg = verity_config();
  cfg.verity.enabled = false;  // "verity 0" in the file
  auto w = apply_cmdline_overrides(cfg, Overrides{{"verity_on_corruption", "panic"}});
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(cfg.verity.on_corruption, VerityOnCorruption::panic);
}

TEST(VerityTable, ParamsAsTheKernelDocumentsThem) {
  Config cfg = verity_config();
  cfg.verity.on_corruption = VerityOnCorruption::eio;
  auto t = verity_table(cfg.verity, "7:0");
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->sectors, 16385u * 8);
  EXPECT_EQ(t->params, std::string("1 7:0 7:0 4096 4096 16385 16385 sha256 ") + kRoot + " " +
                           kSalt);
}

TEST(VerityTable, OnCorruptionAndSignatureOptions) {
  Config cfg = verity_config();
  auto restart = verity_table(cfg.verity, "259:1", "initoverlayfs:sig");
  ASSERT_TRUE(restart);
  EXPECT_TRUE(restart->params.ends_with(
      std::string(kSalt) + " 3 restart_on_corruption root_hash_sig_key_desc initoverlayfs:sig"))
      << restart->params;
  cfg.verity.on_corruption = VerityOnCorruption::panic;
  auto panic = verity_table(cfg.verity, "259:1");
  ASSERT_TRUE(panic);
  EXPECT_TRUE(panic->params.ends_with(std::string(kSalt) + " 1 panic_on_corruption"))
      << panic->params;
}

TEST(VerityTable, NoSaltAndOtherBlockSizes) {
  VerityConfig v;
  v.enabled = true;
  v.root_hash = "00ff";
  v.salt = "-";
  v.data_block_size = 1024;
  v.hash_block_size = 512;
  v.data_blocks = 3;
  v.hash_offset = 3072;
  v.hash_algorithm = "sha1";
  auto t = verity_table(v, "253:4");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->sectors, 6u);
  EXPECT_EQ(t->params, "1 253:4 253:4 1024 512 3 6 sha1 00ff -");
}

TEST(VerityTable, IncompleteConfigIsAnError) {
  VerityConfig v;
  auto t = verity_table(v, "7:0");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().err, EINVAL);
  EXPECT_NE(t.error().message().find("no verity_root_hash"), std::string::npos);
}

// File sizes veritysetup 2.6.1 wrote with --no-superblock for N 4 KiB data
// blocks and the tree right after them.
TEST(VerityTable, ImageBytesMatchVeritysetup) {
  VerityConfig v;
  v.root_hash = kRoot;
  for (auto [blocks, bytes] : std::vector<std::pair<uint64_t, uint64_t>>{
           {1, 4096}, {2, 12288}, {128, 528384}, {129, 540672}, {1000, 4132864},
           {16385, 67653632}}) {
    v.data_blocks = blocks;
    v.hash_offset = blocks * 4096;
    EXPECT_EQ(verity_image_bytes(v), bytes) << blocks << " blocks";
  }
  v.hash_algorithm = "whirlpool";
  EXPECT_FALSE(verity_image_bytes(v));
}
