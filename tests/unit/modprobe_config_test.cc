#include "builder/modprobe_config.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

using namespace iofs;

namespace {

const std::string kSample = std::string(SAMPLES_DIR) + "/modprobe";

ModprobeConfig read_sample_config() {
  auto cfg = read_modprobe_config(kSample + "/moddir", modprobe_dirs(kSample + "/tree"));
  EXPECT_TRUE(cfg) << cfg.error().message();
  return cfg ? *cfg : ModprobeConfig{};
}

using Command = std::pair<std::string, std::string>;

}  // namespace

TEST(ModprobeConfig, DirectoriesOfTheTreeInModprobesOrder) {
  EXPECT_EQ(modprobe_dirs("/x/tree/"),
            (std::vector<std::string>{"/x/tree/etc/modprobe.d", "/x/tree/run/modprobe.d",
                                      "/x/tree/usr/local/lib/modprobe.d", "/x/tree/lib/modprobe.d",
                                      "/x/tree/usr/lib/modprobe.d"}));
}

TEST(ModprobeConfig, OptionsJoinedPerModuleQuotesAndContinuationsKept) {
  ModprobeConfig cfg = read_sample_config();
  // "nvme-core" and "nvme_core" are one module; both lines apply, in order.
  EXPECT_EQ(cfg.options["nvme_core"], "default_ps_max_latency_us=0 io_timeout=60");
  // libkmod's reading: the tab a space, the continuation line's indent kept.
  EXPECT_EQ(cfg.options["dummy"], "name=\"two words\"  plain=1     continued=yes");
  // etc/modprobe.d/override.conf hides lib/modprobe.d/override.conf.
  EXPECT_EQ(cfg.options["loop"], "max_loop=16");
  EXPECT_EQ(cfg.blacklist, (std::set<std::string>{"virtio_scsi"}));
  // notes.txt is no .conf file.
  EXPECT_EQ(cfg.options.size(), 3u);
}

TEST(ModprobeConfig, CommandsAndSoftDependencies) {
  ModprobeConfig cfg = read_sample_config();
  EXPECT_EQ(cfg.install,
            (std::vector<Command>{{"usb_storage", "/bin/true"},
                                  {"nouveau", "/sbin/modprobe --ignore-install nouveau && "
                                              "/usr/bin/logger nouveau"}}));
  EXPECT_EQ(cfg.remove, (std::vector<Command>{{"nvme_core", "/bin/echo bye"}}));
  ASSERT_NE(first_command(cfg.install, "usb_storage"), nullptr);
  EXPECT_EQ(*first_command(cfg.install, "usb_storage"), "/bin/true");
  EXPECT_EQ(first_command(cfg.install, "uas"), nullptr);
  // modprobe.d's only: ext4's line is the kernel's modules.softdep.
  ASSERT_EQ(cfg.softdeps.size(), 1u);
  EXPECT_EQ(cfg.softdeps[0].first, "erofs");
  EXPECT_EQ(cfg.softdeps[0].second, (std::vector<std::string>{"crc32c_generic"}));
}

TEST(ModprobeConfig, NoDirectoriesNoConfiguration) {
  auto cfg = read_modprobe_config(kSample + "/moddir", {kSample + "/does-not-exist"});
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_TRUE(cfg->options.empty());
  EXPECT_TRUE(cfg->blacklist.empty());
  EXPECT_TRUE(cfg->softdeps.empty());
}

// libkmod adds the running kernel's /proc/cmdline to every configuration
// it reads; that is the build host's command line, which must not end up
// in the mini initramfs of another boot. A private mount namespace with a
// command line of our own over /proc/cmdline shows it is left out.
TEST(ModprobeConfig, BuildHostsCommandLineIsLeftOut) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
  char dir[] = "/tmp/modprobe-cmdline-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string file = std::string(dir) + "/cmdline";
  std::ofstream(file) << "root=/dev/sda nvme_core.io_timeout=5 dummy.x=1 loop.max_loop=1 "
                         "modprobe.blacklist=nouveau,virtio_scsi\n";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount(file.c_str(), "/proc/cmdline", nullptr, MS_BIND, nullptr) != 0)
      ::_exit(2);
    auto cfg = read_modprobe_config(kSample + "/moddir", modprobe_dirs(kSample + "/tree"));
    bool ok = cfg && cfg->options["nvme_core"] == "default_ps_max_latency_us=0 io_timeout=60" &&
              cfg->options["dummy"] == "name=\"two words\"  plain=1     continued=yes" &&
              cfg->options["loop"] == "max_loop=16" && cfg->options.size() == 3 &&
              cfg->blacklist == std::set<std::string>{"virtio_scsi"};
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::unlink(file.c_str());
  ::rmdir(dir);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) GTEST_SKIP() << "no private mount namespace here";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the build host's command line leaked into the configuration";
}
