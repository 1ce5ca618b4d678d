// --rescue-shell: the ELF check that refuses a busybox the mini initramfs
// could not run, and the busybox with its links in the mini initramfs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "builder/cpio.h"
#include "builder/elf_check.h"
#include "builder/mini_initramfs.h"
#include "builder/options.h"
#include "core/sys.h"

using namespace iofs;

namespace {

void put(std::string& b, size_t at, uint64_t v, size_t width, bool big_endian = false) {
  if (b.size() < at + width) b.resize(at + width, '\0');
  for (size_t i = 0; i < width; ++i)
    b[big_endian ? at + width - 1 - i : at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// A minimal 64-bit little-endian executable: a PT_LOAD, and a PT_INTERP
// naming `interp` when it is not empty.
std::string elf64(uint16_t machine, const std::string& interp = {}, uint16_t type = 2) {
  std::string b = "\x7f" "ELF";
  b.resize(64, '\0');
  b[4] = 2;  // 64-bit
  b[5] = 1;  // little-endian
  b[6] = 1;
  put(b, 16, type, 2);
  put(b, 18, machine, 2);
  put(b, 32, 64, 8);  // e_phoff
  put(b, 54, 56, 2);  // e_phentsize
  const uint16_t phnum = interp.empty() ? 1 : 2;
  put(b, 56, phnum, 2);
  size_t at = 64;
  put(b, at, 1, 4);  // PT_LOAD
  if (!interp.empty()) {
    at += 56;
    put(b, at, 3, 4);  // PT_INTERP
    put(b, at + 8, 64 + 56 * 2, 8);
    put(b, at + 32, interp.size() + 1, 8);
  }
  b.resize(64 + 56 * phnum, '\0');
  if (!interp.empty()) b += interp + '\0';
  return b;
}

// A 32-bit big-endian one (PowerPC), static.
std::string elf32_be() {
  std::string b = "\x7f" "ELF";
  b.resize(52, '\0');
  b[4] = 1;
  b[5] = 2;
  put(b, 16, 2, 2, true);
  put(b, 18, 20, 2, true);  // EM_PPC
  put(b, 28, 52, 4, true);
  put(b, 42, 32, 2, true);
  put(b, 44, 1, 2, true);
  put(b, 52, 1, 4, true);
  b.resize(52 + 32, '\0');
  return b;
}

constexpr uint16_t kX86_64 = 62, kAarch64 = 183;

std::string temp_dir() {
  std::string t = "/tmp/iofs-unit-XXXXXX";
  EXPECT_NE(::mkdtemp(t.data()), nullptr);
  return t;
}

}  // namespace

TEST(ElfCheck, StaticAndDynamicPrograms) {
  auto s = read_elf_program(elf64(kX86_64));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(s->is_64bit);
  EXPECT_FALSE(s->big_endian);
  EXPECT_EQ(s->machine, kX86_64);
  EXPECT_FALSE(s->interpreter);
  auto d = read_elf_program(elf64(kX86_64, "/lib64/ld-linux-x86-64.so.2"));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->interpreter, "/lib64/ld-linux-x86-64.so.2");
  // static-pie: ET_DYN without PT_INTERP runs without a loader.
  auto pie = read_elf_program(elf64(kX86_64, {}, 3));
  ASSERT_TRUE(pie);
  EXPECT_FALSE(pie->interpreter);
  auto be = read_elf_program(elf32_be());
  ASSERT_TRUE(be) << be.error().message();
  EXPECT_FALSE(be->is_64bit);
  EXPECT_TRUE(be->big_endian);
  EXPECT_EQ(be->machine, 20);
}

// The test program itself is a real, dynamically linked executable.
TEST(ElfCheck, ThisTestProgramIsDynamic) {
  auto self = sys::read_file("/proc/self/exe", 1 << 30);
  ASSERT_TRUE(self);
  auto e = read_elf_program(*self);
  ASSERT_TRUE(e) << e.error().message();
  ASSERT_TRUE(e->interpreter);
  EXPECT_NE(e->interpreter->find("ld"), std::string::npos) << *e->interpreter;
}

TEST(ElfCheck, GarbledInputIsRefusedNotRead) {
  std::string phoff_past_end = elf64(kX86_64);
  put(phoff_past_end, 32, 0xfffffffffffffff0ull, 8);
  std::string interp_past_end = elf64(kX86_64, "/lib/ld.so");
  put(interp_past_end, 64 + 56 + 8, 0xfffffffffffffff0ull, 8);
  std::string tiny_entries = elf64(kX86_64);
  put(tiny_entries, 54, 8, 2);
  std::string no_headers = elf64(kX86_64);
  put(no_headers, 56, 0, 2);
  std::string bad_class = elf64(kX86_64);
  bad_class[4] = 3;
  const std::pair<std::string, const char*> cases[] = {
      {"", "not an ELF file"},
      {"#!/bin/sh\necho hi\n", "not an ELF file"},
      {std::string("\x7f" "ELF\x02\x01", 6), "not an ELF file"},
      {elf64(kX86_64).substr(0, 40), "truncated ELF header"},
      {elf64(kX86_64, {}, 1), "not an executable (ELF type 1)"},
      {phoff_past_end, "program headers past the end"},
      {interp_past_end, "PT_INTERP past the end"},
      {tiny_entries, "program header size 8 too small"},
      {no_headers, "no program headers"},
      {bad_class, "unknown ELF class 3"},
  };
  for (const auto& [bytes, says] : cases) {
    auto e = read_elf_program(bytes);
    ASSERT_FALSE(e) << says;
    EXPECT_NE(e.error().message().find(says), std::string::npos) << e.error().message();
  }
  // Every prefix of a valid file: refused or read, never out of bounds.
  const std::string whole = elf64(kX86_64, "/lib/ld.so");
  for (size_t n = 0; n < whole.size(); ++n) (void)read_elf_program(whole.substr(0, n));
}

TEST(RescueShell, DynamicOrForeignBusyboxIsRefused) {
  const std::string program = elf64(kX86_64);
  EXPECT_TRUE(check_rescue_busybox(elf64(kX86_64), "/bin/busybox", program));
  auto dynamic = check_rescue_busybox(elf64(kX86_64, "/lib64/ld-linux-x86-64.so.2"),
                                      "/usr/bin/busybox", program);
  ASSERT_FALSE(dynamic);
  EXPECT_EQ(dynamic.error().message(),
            "--rescue-shell: /usr/bin/busybox is dynamically linked (its loader is "
            "/lib64/ld-linux-x86-64.so.2) and the mini initramfs has no shared libraries; give "
            "a static busybox (Debian: busybox-static) with --rescue-busybox PATH");
  auto foreign = check_rescue_busybox(elf64(kAarch64), "/tmp/bb", program);
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message().find("/tmp/bb is for arm64 (AArch64), the early-boot "
                                           "program for x86_64 (x86-64)"),
            std::string::npos)
      << foreign.error().message();
  auto script = check_rescue_busybox("#!/bin/sh\n", "/tmp/bb", program);
  ASSERT_FALSE(script);
  EXPECT_NE(script.error().message().find("/tmp/bb is not a program the kernel can run (not an "
                                          "ELF file)"),
            std::string::npos)
      << script.error().message();
}

// The busybox at /bin/busybox with /bin/sh and the applets linked to it,
// where the early-boot program looks (init/rescue_shell.h); nothing of it
// without --rescue-shell.
TEST(RescueShell, BusyboxAndLinksInTheMiniInitramfs) {
  const std::string dir = temp_dir();
  const std::string busybox = elf64(kX86_64) + "busybox body";
  std::ofstream(dir + "/program") << elf64(kX86_64);
  std::ofstream(dir + "/busybox") << busybox;
  std::ofstream(dir + "/dynamic") << elf64(kX86_64, "/lib/ld.so");
  MiniInitramfsSpec spec;
  spec.program = dir + "/program";
  spec.config_text = "bootfs LABEL=boot\n";
  spec.kver = "6.12.0";

  auto without = mini_initramfs_cpio(spec);
  ASSERT_TRUE(without) << without.error().message();
  const CpioArchive plain = read_cpio(*without).value();
  for (const CpioEntry& e : plain.entries)
    EXPECT_FALSE(e.name.starts_with("bin")) << e.name;

  spec.rescue_busybox = dir + "/busybox";
  auto with = mini_initramfs_cpio(spec);
  ASSERT_TRUE(with) << with.error().message();
  std::map<std::string, CpioEntry> by_name;
  const CpioArchive archive = read_cpio(*with).value();
  for (const CpioEntry& e : archive.entries) by_name[e.name] = e;
  ASSERT_TRUE(by_name.contains("bin/busybox"));
  EXPECT_EQ(by_name["bin/busybox"].mode, 0100755u);
  EXPECT_EQ(by_name["bin/busybox"].data, busybox);
  EXPECT_EQ(by_name["bin"].mode, 040755u);
  std::vector<std::string> links{"sh"};
  for (std::string_view a : kRescueApplets) links.emplace_back(a);
  for (const std::string& name : links) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(by_name.contains("bin/" + name));
    EXPECT_EQ(by_name["bin/" + name].mode, 0120777u);
    EXPECT_EQ(by_name["bin/" + name].data, "busybox");
  }

  spec.rescue_busybox = dir + "/dynamic";
  auto dynamic = mini_initramfs_cpio(spec);
  ASSERT_FALSE(dynamic);
  EXPECT_NE(dynamic.error().message().find("is dynamically linked (its loader is /lib/ld.so)"),
            std::string::npos);
  spec.rescue_busybox = dir + "/missing";
  auto missing = mini_initramfs_cpio(spec);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("--rescue-shell: open " + dir +
                                           "/missing: No such file or directory (errno=2) "
                                           "(Debian: apt install busybox-static"),
            std::string::npos)
      << missing.error().message();
  std::system(("rm -rf " + dir).c_str());
}

TEST(RescueShell, Options) {
  auto o = parse_builder_options({"--rescue-shell"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->rescue_busybox, "/bin/busybox");
  o = parse_builder_options({"--rescue-busybox", "/opt/busybox"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->rescue_busybox, "/opt/busybox");
  EXPECT_TRUE(parse_builder_options({}).value().rescue_busybox.empty());
  auto empty = parse_builder_options({"--rescue-busybox="});
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message().find("--rescue-busybox needs a path"), std::string::npos);
  auto systemd = parse_builder_options({"--mode", "systemd", "--rescue-shell"});
  ASSERT_FALSE(systemd);
  EXPECT_NE(systemd.error().message().find("--rescue-shell goes with --mode init"),
            std::string::npos);
}
