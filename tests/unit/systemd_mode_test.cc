// Systemd mode: the builder's --mode and --dracut command lines, the dracut
// command it runs, and the switch-root request to systemd.
#include <gtest/gtest.h>

#include "builder/options.h"
#include "builder/systemd_initramfs.h"
#include "init/systemd_bus.h"

using namespace iofs;

static Result<BuilderOptions> parse(std::vector<std::string> a) { return parse_builder_options(a); }

TEST(BuilderMode, Systemd) {
  auto o = parse({"--mode", "systemd"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->boot_mode, BootMode::systemd);
  o = parse({"--mode=systemd", "--mode", "init"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->boot_mode, BootMode::init);  // the last one wins
}

TEST(BuilderMode, Errors) {
  for (auto [args, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--mode", "upstart"}, "--mode takes init or systemd, not 'upstart'"},
           {{"--mode"}, "--mode needs a value"},
       }) {
    auto o = parse(args);
    ASSERT_FALSE(o) << args[0];
    EXPECT_NE(o.error().message().find(says), std::string::npos) << o.error().message();
  }
}

// Issue 15: dm-verity works in systemd mode as in init mode.
TEST(BuilderMode, SystemdModeTakesVerity) {
  auto o = parse({"--mode", "systemd", "--verity", "--kver", "6.12", "--rootdir", "/r"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_TRUE(o->verity);
}

TEST(DracutWrapper, OutputAndKver) {
  auto o = parse({"--mode", "systemd", "--dracut", "-f", "/boot/initrd.img-6.12.1", "6.12.1"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_TRUE(o->dracut_wrapper);
  EXPECT_EQ(o->boot_mode, BootMode::systemd);
  EXPECT_TRUE(o->force);
  EXPECT_EQ(o->output_dir, "/boot");
  EXPECT_EQ(o->initramfs_name, "initrd.img-6.12.1");
  EXPECT_EQ(o->kver, "6.12.1");
  EXPECT_TRUE(o->dracut_args.empty());
}

TEST(DracutWrapper, NoOutputKeepsDefaults) {
  auto o = parse({"--dracut", "--kver", "6.1.0"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_FALSE(o->force);
  EXPECT_EQ(o->kver, "6.1.0");
  EXPECT_EQ(o->output_dir, "/boot");
  EXPECT_EQ(o->initramfs_name, "");  // the builder names it initrd.img-KVER
}

TEST(DracutWrapper, OtherOptionsPassOnWithTheirValues) {
  // -a takes a value, so "crypt" is not OUTPUT; --include takes two.
  auto o = parse({"--dracut", "-q", "-a", "crypt", "--hostonly", "--add-drivers=nvme",
                  "--include", "/src", "/dst", "--kmoddir", "/m", "out.img", "6.12.1", "-v"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->dracut_args, (std::vector<std::string>{"-q", "-a", "crypt", "--hostonly", "--add-drivers",
                                                      "nvme", "--include", "/src", "/dst"}));
  EXPECT_EQ(o->moddir, "/m");
  EXPECT_TRUE(o->verbose);
  EXPECT_EQ(o->output_dir, ".");
  EXPECT_EQ(o->initramfs_name, "out.img");
  EXPECT_EQ(o->kver, "6.12.1");
}

TEST(DracutWrapper, Errors) {
  for (auto [args, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--dracut", "a", "b", "c"}, "more than OUTPUT and KVER given: 'c'"},
           {{"--dracut", "--kver", "1", "out", "2"}, "--kver 1 and KVER 2 differ"},
           {{"--dracut", "-a"}, "-a needs a value"},
           {{"--dracut", "-I", "/src"}, "needs a source and a target"},
           {{"--dracut", "/boot/"}, "names no file"},
           {{"--rootdir", "/r", "--dracut", "-f"}, "no --initramfs or --rootdir"},
       }) {
    auto o = parse(args);
    ASSERT_FALSE(o) << args.back();
    EXPECT_NE(o.error().message().find(says), std::string::npos) << o.error().message();
  }
}

TEST(SystemdDracutArgv, MinimalAndPrivate) {
  SystemdInitramfsSpec spec;
  spec.kver = "6.12.1";
  spec.moddir = "/m";
  spec.drivers = {"virtio_blk", "ext4"};
  spec.compression = "xz";
  spec.work_dir = "/w";
  spec.reproducible = true;
  auto argv = systemd_dracut_argv(spec, "/w/conf.d", "/w/out.img");
  auto has = [&](std::vector<std::string> seq) {
    return std::search(argv.begin(), argv.end(), seq.begin(), seq.end()) != argv.end();
  };
  EXPECT_EQ(argv.front(), "dracut");
  EXPECT_EQ(argv.back(), "/w/out.img");
  EXPECT_TRUE(has({"--modules", "systemd systemd-udevd initoverlayfs"}));
  EXPECT_TRUE(has({"--add-drivers", "virtio_blk ext4"}));
  EXPECT_TRUE(has({"--kver", "6.12.1", "--kmoddir", "/m"}));
  EXPECT_TRUE(has({"--conf", "/dev/null", "--confdir", "/w/conf.d"}));  // not the host's
  EXPECT_TRUE(has({"--no-hostonly"}));
  EXPECT_TRUE(has({"--no-early-microcode"}));
  EXPECT_TRUE(has({"--xz"}));
  EXPECT_TRUE(has({"--reproducible"}));
  spec.compression = "none";
  argv = systemd_dracut_argv(spec, "/c", "/o");
  EXPECT_TRUE(has({"--no-compress"}));
}

TEST(SystemdBus, SwitchRootMessageLayout) {
  std::string m = switch_root_message("/sysroot", "/init");
  auto u32 = [&](size_t at) {
    return uint32_t(uint8_t(m[at])) | uint32_t(uint8_t(m[at + 1])) << 8 |
           uint32_t(uint8_t(m[at + 2])) << 16 | uint32_t(uint8_t(m[at + 3])) << 24;
  };
  EXPECT_EQ(m.substr(0, 4), std::string("l\1\0\1", 4));  // little-endian method call, version 1
  EXPECT_EQ(u32(8), 1u);                                 // serial
  const uint32_t body_len = u32(4), fields_len = u32(12);
  const size_t body_at = (16 + fields_len + 7) / 8 * 8;
  ASSERT_EQ(m.size(), body_at + body_len);
  // The first field is the object path, at 16 (8-aligned): code 1, "o".
  EXPECT_EQ(m.substr(16, 4), std::string("\1\1o\0", 4));
  EXPECT_EQ(u32(20), 25u);
  EXPECT_EQ(m.substr(24, 26), std::string("/org/freedesktop/systemd1\0", 26));
  EXPECT_NE(m.find(std::string("\3\1s\0\12\0\0\0SwitchRoot\0", 19)), std::string::npos);
  EXPECT_NE(m.find(std::string("\10\1g\0\2ss\0", 8)), std::string::npos);  // body signature
  // Body: two strings, the second aligned to 4.
  EXPECT_EQ(m.substr(body_at), std::string("\10\0\0\0/sysroot\0\0\0\0\5\0\0\0/init\0", 26));
}
