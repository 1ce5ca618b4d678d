// systemd-stub's /.extra (credentials, system and configuration
// extensions), carried from the initramfs into the new root before the
// switch (init/root_layout.h).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "init/root_layout.h"

using namespace iofs;
namespace fs = std::filesystem;

namespace {

class StubExtras : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/iofs-extras-XXXXXX";
    ASSERT_TRUE(::mkdtemp(tmpl));
    root_ = tmpl;
    fs::create_directories(root_ + "/new");
  }
  void TearDown() override { fs::remove_all(root_); }
  void put(const std::string& rel, const std::string& data, mode_t mode) {
    fs::path p = fs::path(root_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
    ASSERT_EQ(::chmod(p.c_str(), mode), 0);
  }
  std::string read(const std::string& rel) {
    std::ifstream in(fs::path(root_) / rel, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  mode_t mode_of(const std::string& rel) {
    struct stat st{};
    EXPECT_EQ(::lstat((root_ + "/" + rel).c_str(), &st), 0) << rel;
    return st.st_mode & 07777;
  }
  std::string root_;
};

}  // namespace

TEST_F(StubExtras, CredentialsAndExtensionsArriveWithTheirModes) {
  put("extra/credentials/password.cred", "secret", 0400);
  put("extra/global_credentials/tz.cred", "Europe/Berlin", 0400);
  put("extra/sysext/tools.raw", std::string(100000, 'r'), 0444);
  fs::create_directories(root_ + "/extra/confext");  // empty: kept as a directory
  ASSERT_EQ(::symlink("/etc/shadow", (root_ + "/extra/credentials/link.cred").c_str()), 0);
  ASSERT_EQ(::chmod((root_ + "/extra/credentials").c_str(), 0500), 0);
  ASSERT_EQ(::mkfifo((root_ + "/extra/sysext/fifo").c_str(), 0600), 0);
  auto n = carry_stub_extras(root_ + "/extra", root_ + "/new/.extra");
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(read("new/.extra/credentials/password.cred"), "secret");
  EXPECT_EQ(read("new/.extra/global_credentials/tz.cred"), "Europe/Berlin");
  EXPECT_EQ(read("new/.extra/sysext/tools.raw").size(), 100000u);
  EXPECT_EQ(mode_of("new/.extra/credentials/password.cred"), 0400u);
  EXPECT_EQ(mode_of("new/.extra/credentials"), 0500u);
  EXPECT_TRUE(fs::is_directory(root_ + "/new/.extra/confext"));
  // Neither the symlink nor the fifo: only directories and regular files.
  EXPECT_FALSE(fs::exists(fs::symlink_status(root_ + "/new/.extra/credentials/link.cred")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(root_ + "/new/.extra/sysext/fifo")));
  // Writable again, for TearDown as any user.
  for (const char* d : {"/extra/credentials", "/new/.extra/credentials"}) ::chmod((root_ + d).c_str(), 0700);
}

TEST_F(StubExtras, NoExtrasCopyNothing) {
  auto n = carry_stub_extras(root_ + "/missing", root_ + "/new/.extra");
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 0);
  EXPECT_FALSE(fs::exists(root_ + "/new/.extra"));
  put("file-not-dir", "x", 0644);
  EXPECT_EQ(carry_stub_extras(root_ + "/file-not-dir", root_ + "/new/.extra").value(), 0);
}

// A file that is already in the new root (the image has one of the same
// name) is not overwritten: the caller warns and the boot goes on.
TEST_F(StubExtras, AnExistingFileIsAnError) {
  put("extra/credentials/a.cred", "stub", 0400);
  put("new/.extra/credentials/a.cred", "image", 0400);
  EXPECT_FALSE(carry_stub_extras(root_ + "/extra", root_ + "/new/.extra"));
  EXPECT_EQ(read("new/.extra/credentials/a.cred"), "image");
}

TEST_F(StubExtras, DeepTreesStopAtFourLevels) {
  put("extra/1/2/3/4/five.cred", "deep", 0400);
  put("extra/1/2/3/four.cred", "ok", 0400);
  auto n = carry_stub_extras(root_ + "/extra", root_ + "/new/.extra");
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE(fs::exists(root_ + "/new/.extra/1/2/3/four.cred"));
  EXPECT_FALSE(fs::exists(root_ + "/new/.extra/1/2/3/4/five.cred"));
}
