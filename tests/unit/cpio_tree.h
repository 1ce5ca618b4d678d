// For the tests of extract_cpio and split_initramfs: cpio entries, a
// sample root filesystem with every kind of entry, and a scratch directory
// to extract into.
#pragma once

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "builder/cpio.h"

namespace cpio_tree {

using iofs::CpioEntry;
using iofs::CpioWriter;

inline CpioEntry entry(std::string name, uint32_t mode, std::string data = {},
                       uint32_t mtime = 1700000000) {
  CpioEntry e;
  e.name = std::move(name);
  e.mode = mode;
  // Our own: any user can extract it (fchown to oneself needs no privilege).
  e.uid = ::geteuid();
  e.gid = ::getegid();
  e.data = std::move(data);
  e.mtime = mtime;
  return e;
}

inline std::string cpio(const std::vector<CpioEntry>& entries) {
  std::string out;
  CpioWriter w(out);
  for (const auto& e : entries) w.add(e);
  w.finish();
  return out;
}

// A root filesystem with every kind of entry, distinct mtimes, and
// directories listed before their contents as find(1) lists them.
inline std::vector<CpioEntry> main_entries() {
  std::vector<CpioEntry> v;
  v.push_back(entry(".", S_IFDIR | 0755, {}, 1600000001));
  v.push_back(entry("usr", S_IFDIR | 0755, {}, 1600000002));
  v.push_back(entry("usr/bin", S_IFDIR | 0755, {}, 1600000003));
  v.push_back(entry("usr/bin/su", S_IFREG | 04755, "#!/bin/false\n", 1600000004));
  CpioEntry sg = entry("usr/bin/write", S_IFREG | 02755, "w", 1600000005);
  sg.gid = 5;
  v.push_back(sg);
  v.push_back(entry("bin", S_IFLNK | 0777, "usr/bin", 1600000006));
  v.push_back(entry("sbin", S_IFLNK | 0777, "/usr/bin", 1600000007));
  v.push_back(entry("dangling", S_IFLNK | 0777, "../../nowhere", 1600000008));
  v.push_back(entry("dev", S_IFDIR | 0755, {}, 1600000009));
  CpioEntry console = entry("dev/console", S_IFCHR | 0600, {}, 1600000010);
  console.rdevmajor = 5;
  console.rdevminor = 1;
  v.push_back(console);
  CpioEntry disk = entry("dev/vda", S_IFBLK | 0660, {}, 1600000011);
  disk.gid = 6;
  disk.rdevmajor = 252;
  disk.rdevminor = 3;
  v.push_back(disk);
  v.push_back(entry("dev/initctl", S_IFIFO | 0600, {}, 1600000012));
  // Hard links: data with the last name (GNU cpio) and with the first.
  CpioEntry a = entry("usr/bin/gzip", S_IFREG | 0755, {}, 1600000013);
  a.ino = 900;
  a.nlink = 3;
  v.push_back(a);
  CpioEntry b = a;
  b.name = "usr/bin/gunzip";
  v.push_back(b);
  CpioEntry c = a;
  c.name = "usr/bin/zcat";
  c.data = "#!/bin/sh\nexec gzip -dc\n";
  v.push_back(c);
  CpioEntry d = entry("usr/bin/xz", S_IFREG | 0755, "xz binary", 1600000014);
  d.ino = 901;
  d.nlink = 2;
  v.push_back(d);
  CpioEntry e = d;
  e.name = "usr/bin/unxz";
  e.data.clear();
  v.push_back(e);
  CpioEntry home = entry("home/user", S_IFDIR | 0700, {}, 1600000015);
  home.uid = home.gid = 1000;
  v.push_back(home);
  CpioEntry note = entry("home/user/note", S_IFREG | 0600, "hi", 1600000016);
  note.uid = note.gid = 1000;
  v.push_back(note);
  v.push_back(entry("etc", S_IFDIR | 0755, {}, 1600000017));
  v.push_back(entry("etc/initrd-release", S_IFREG | 0644,
                    std::string(100000, 'r'), 1600000018));
  v.push_back(entry("etc/empty", S_IFREG | 0000, {}, 1600000019));
  return v;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spit(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary) << data;
}

// main_entries() holds files of other users and groups (fchown needs
// CAP_CHOWN) and device nodes (mknod needs CAP_MKNOD): only root extracts it.
#define SKIP_UNLESS_ROOT_FOR_MAIN_ENTRIES()                                              \
  do {                                                                                   \
    if (::geteuid() != 0)                                                                \
      GTEST_SKIP() << "needs root: extracts files owned by uid 1000 and gid 5 and device " \
                      "nodes (fchown, mknod)";                                           \
  } while (0)

// A fresh directory root_ in a scratch directory of its own.
class ScratchRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/iofs-initramfs-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    scratch_ = tmpl;
    root_ = scratch_ + "/root";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
  }
  void TearDown() override {
    if (mounted_) ::umount2(root_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(scratch_, ec);
  }

  std::string at(const std::string& name) const { return root_ + "/" + name; }

  std::string scratch_, root_;
  bool mounted_ = false;
};

}  // namespace cpio_tree
