// Issue 17: the machine a pair is for (the modules' ELF headers, --arch),
// the early-boot program picked for it, and the refusal of a program for
// another machine, on small ELF files made here.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "builder/cpio.h"
#include "builder/elf_check.h"
#include "builder/kernel.h"
#include "builder/mini_initramfs.h"
#include "builder/module_file.h"
#include "builder/options.h"
#include "builder/target_arch.h"

using namespace iofs;

namespace {

constexpr uint16_t kX86_64 = 62, kAarch64 = 183, kRiscv = 243;
constexpr uint16_t kEtRel = 1, kEtExec = 2;

void put(std::string& b, size_t at, uint64_t v, size_t width) {
  if (b.size() < at + width) b.resize(at + width, '\0');
  for (size_t i = 0; i < width; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// A 64-bit little-endian ELF file of `type`: a module (ET_REL, no program
// headers) or a static executable (ET_EXEC with one PT_LOAD).
std::string elf64(uint16_t machine, uint16_t type) {
  std::string b = "\x7f" "ELF";
  b.resize(64, '\0');
  b[4] = 2;
  b[5] = 1;
  b[6] = 1;
  put(b, 16, type, 2);
  put(b, 18, machine, 2);
  if (type == kEtExec) {
    put(b, 32, 64, 8);  // e_phoff
    put(b, 54, 56, 2);  // e_phentsize
    put(b, 56, 1, 2);   // e_phnum
    put(b, 64, 1, 4);   // PT_LOAD
    b.resize(64 + 56, '\0');
  }
  return b + std::string(300, 'm');  // the rest of the object
}
std::string module(uint16_t machine) { return elf64(machine, kEtRel); }
std::string program(uint16_t machine) { return elf64(machine, kEtExec); }

// `data` compressed as a kernel's `make modules_install` does (xz, zstd).
std::string compressed(const std::string& data, int filter) {
  struct archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  archive_write_add_filter(a, filter);
  std::string out(data.size() + 4096, '\0');
  size_t used = 0;
  EXPECT_EQ(archive_write_open_memory(a, out.data(), out.size(), &used), ARCHIVE_OK);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
  EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK);
  EXPECT_EQ(archive_write_data(a, data.data(), data.size()), static_cast<la_ssize_t>(data.size()));
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

Machine arm64() { return {kAarch64, true, false}; }
Machine x86_64() { return {kX86_64, true, false}; }

TargetMachine modules_of(Machine m) { return {m, "the modules of 6.1.0-57-arm64 in /m", false}; }

std::string temp_dir() {
  std::string t = "/tmp/iofs-unit-XXXXXX";
  EXPECT_NE(::mkdtemp(t.data()), nullptr);
  return t;
}

void write(const std::string& path, const std::string& data, bool executable = false) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
  if (executable) std::filesystem::permissions(path, std::filesystem::perms(0755));
}

bool has(const Error& e, std::string_view text) {
  return e.message().find(text) != std::string::npos;
}

}  // namespace

TEST(TargetArch, ModuleMachineFromTheElfHeader) {
  auto a = module_machine(module(kAarch64), "a.ko");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(*a, arm64());
  EXPECT_EQ(module_machine(module(kX86_64), "x.ko").value(), x86_64());
  // An executable is not a module; neither is a script or a cut header.
  auto exec = module_machine(program(kAarch64), "p.ko");
  ASSERT_FALSE(exec);
  EXPECT_TRUE(has(exec.error(), "p.ko: not a kernel module (ELF type 2, not ET_REL)"))
      << exec.error().message();
  auto script = module_machine("#!/bin/sh\n", "s.ko");
  ASSERT_FALSE(script);
  EXPECT_TRUE(has(script.error(), "s.ko: not an ELF file")) << script.error().message();
  auto cut = module_machine(module(kAarch64).substr(0, 40), "c.ko");
  ASSERT_FALSE(cut);
  EXPECT_TRUE(has(cut.error(), "truncated ELF header")) << cut.error().message();
  std::string bad_class = module(kAarch64);
  bad_class[4] = 7;
  EXPECT_TRUE(has(module_machine(bad_class, "b.ko").error(), "unknown ELF class 7"));
}

TEST(TargetArch, CompressedModulesAreReadFromTheirDecompressedStart) {
  const std::string ko = module(kAarch64);
  for (int filter : {ARCHIVE_FILTER_XZ, ARCHIVE_FILTER_ZSTD, ARCHIVE_FILTER_GZIP}) {
    SCOPED_TRACE(filter);
    const std::string name = filter == ARCHIVE_FILTER_XZ     ? "virtio_blk.ko.xz"
                             : filter == ARCHIVE_FILTER_ZSTD ? "virtio_blk.ko.zst"
                                                             : "virtio_blk.ko.gz";
    auto head = module_object_head(compressed(ko, filter), name);
    ASSERT_TRUE(head) << head.error().message();
    EXPECT_EQ(*head, ko.substr(0, 64));
    EXPECT_EQ(module_machine(*head, name).value(), arm64());
  }
  // Uncompressed: the bytes as they are.
  EXPECT_EQ(module_object_head(ko, "virtio_blk.ko").value(), ko.substr(0, 64));
  // Not what its name says: libarchive passes unknown bytes through, and
  // they are no module.
  auto garbage = module_object_head("not xz at all, just some bytes", "bad.ko.xz");
  ASSERT_TRUE(garbage) << garbage.error().message();
  auto not_elf = module_machine(*garbage, "bad.ko.xz");
  ASSERT_FALSE(not_elf);
  EXPECT_TRUE(has(not_elf.error(), "bad.ko.xz: not an ELF file")) << not_elf.error().message();
  // Cut short, xz's stream ending before the object's start: an error from
  // one or the other, never a machine read from nothing.
  auto cut = module_object_head(compressed(ko, ARCHIVE_FILTER_XZ).substr(0, 30), "cut.ko.xz");
  EXPECT_TRUE(!cut || !module_machine(*cut, "cut.ko.xz"));
}

TEST(TargetArch, NamesAndAliases) {
  EXPECT_EQ(target_arch_names(), "x86_64 or arm64");
  ASSERT_NE(find_target_arch("arm64"), nullptr);
  EXPECT_EQ(find_target_arch("aarch64"), find_target_arch("arm64"));
  EXPECT_EQ(find_target_arch("amd64"), find_target_arch("x86_64"));
  EXPECT_EQ(find_target_arch("riscv64"), nullptr);
  EXPECT_EQ(find_target_arch("arm64")->build_dir, "aarch64");
  EXPECT_EQ(describe_machine(arm64()), "arm64 (AArch64)");
  EXPECT_EQ(describe_machine(x86_64()), "x86_64 (x86-64)");
  EXPECT_EQ(describe_machine({kRiscv, true, false}), "ELF machine 243 (RISC-V, 64-bit)");
  // A 32-bit ARM program is not an arm64 one.
  EXPECT_EQ(target_arch_of({kAarch64, false, false}), nullptr);
}

TEST(TargetArch, ArchOptionAndModulesMustAgree) {
  const std::string src = "the modules of 6.1.0-57-arm64 in /m";
  auto none = resolve_target_machine("", std::nullopt, src);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto from_modules = resolve_target_machine("", arm64(), src).value();
  ASSERT_TRUE(from_modules);
  EXPECT_EQ(from_modules->machine, arm64());
  EXPECT_EQ(from_modules->source, src);
  auto agreed = resolve_target_machine("aarch64", arm64(), src).value();
  ASSERT_TRUE(agreed);
  EXPECT_EQ(agreed->source, "--arch arm64");
  auto no_modules = resolve_target_machine("x86_64", std::nullopt, src).value();
  ASSERT_TRUE(no_modules);
  EXPECT_EQ(no_modules->machine, x86_64());
  auto clash = resolve_target_machine("x86_64", arm64(), src);
  ASSERT_FALSE(clash);
  EXPECT_TRUE(has(clash.error(), "--arch x86_64: the modules of 6.1.0-57-arm64 in /m are for "
                                 "arm64 (AArch64)"))
      << clash.error().message();
  auto unknown = resolve_target_machine("sparc", arm64(), src);
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(has(unknown.error(), "--arch takes x86_64 or arm64, not 'sparc'"));
}

TEST(TargetArch, WrongMachineProgramRefusedBothWays) {
  auto x86_for_arm = check_program_for_target(x86_64(), "/usr/sbin/initoverlayfs", modules_of(arm64()));
  ASSERT_FALSE(x86_for_arm);
  EXPECT_EQ(x86_for_arm.error().message(),
            "refusing the early-boot program /usr/sbin/initoverlayfs: it is for x86_64 (x86-64), "
            "but the modules of 6.1.0-57-arm64 in /m are for arm64 (AArch64), whose kernel could "
            "not run it");
  auto arm_for_x86 = check_program_for_target(arm64(), "/a/initoverlayfs",
                                              {x86_64(), "--arch x86_64", true});
  ASSERT_FALSE(arm_for_x86);
  EXPECT_TRUE(has(arm_for_x86.error(), "/a/initoverlayfs: it is for arm64 (AArch64), but --arch "
                                       "x86_64 asks for x86_64 (x86-64)"))
      << arm_for_x86.error().message();
  EXPECT_TRUE(check_program_for_target(arm64(), "/a/initoverlayfs", modules_of(arm64())));
}

TEST(TargetArch, PicksTheFirstProgramForTheTarget) {
  const std::vector<ProgramCandidate> places = {
      {"/usr/lib/initoverlayfs/arm64/initoverlayfs", std::nullopt, ""},
      {"/build/aarch64/initoverlayfs", arm64(), ""},
      {"/usr/sbin/initoverlayfs", x86_64(), ""},
      {"/usr/bin/initoverlayfs", std::nullopt, "not executable"},
  };
  EXPECT_EQ(pick_early_boot_program(modules_of(arm64()), places).value(),
            "/build/aarch64/initoverlayfs");
  EXPECT_EQ(pick_early_boot_program(modules_of(x86_64()), places).value(), "/usr/sbin/initoverlayfs");
  auto none = pick_early_boot_program(modules_of(arm64()), std::span(places).subspan(2));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(),
            "find the early-boot program: none for arm64 (AArch64) (the modules of 6.1.0-57-arm64 "
            "in /m); looked at /usr/sbin/initoverlayfs (for x86_64 (x86-64)), "
            "/usr/bin/initoverlayfs (not executable); build initoverlayfs with -DIOFS_ARM64=ON "
            "(needs g++-aarch64-linux-gnu) and cmake --install it, or give --early-boot-program PATH");
  auto riscv = pick_early_boot_program(modules_of({kRiscv, true, false}), places);
  ASSERT_FALSE(riscv);
  EXPECT_TRUE(has(riscv.error(), "none for ELF machine 243 (RISC-V, 64-bit)"));
  EXPECT_TRUE(has(riscv.error(), "/usr/lib/initoverlayfs/arm64/initoverlayfs (none)"));
}

// The files: the modules' machine read from a module directory, and the
// explicitly given program refused for another machine.
TEST(TargetArch, KernelModulesMachineAndGivenProgram) {
  const std::string dir = temp_dir();
  auto empty = kernel_modules_machine(dir);
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_FALSE(empty->has_value());
  // The first module by path decides: kernel/a/ before kernel/b/, whatever
  // the order of the directory.
  write(dir + "/kernel/b/ext4.ko", module(kX86_64));
  write(dir + "/kernel/a/virtio_blk.ko.xz", compressed(module(kAarch64), ARCHIVE_FILTER_XZ));
  write(dir + "/kernel/a/README", "not a module");
  std::string sample;
  auto m = kernel_modules_machine(dir, &sample);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ(**m, arm64());
  EXPECT_EQ(sample, dir + "/kernel/a/virtio_blk.ko.xz");

  write(dir + "/x86/initoverlayfs", program(kX86_64), true);
  write(dir + "/arm/initoverlayfs", program(kAarch64), true);
  write(dir + "/script", "#!/bin/sh\n", true);
  EXPECT_EQ(find_early_boot_program(dir + "/arm/initoverlayfs", modules_of(arm64())).value(),
            dir + "/arm/initoverlayfs");
  auto refused = find_early_boot_program(dir + "/x86/initoverlayfs", modules_of(arm64()));
  ASSERT_FALSE(refused);
  EXPECT_TRUE(has(refused.error(), "refusing the early-boot program " + dir +
                                       "/x86/initoverlayfs: it is for x86_64 (x86-64), but the "
                                       "modules of 6.1.0-57-arm64 in /m are for arm64 (AArch64)"))
      << refused.error().message();
  auto reverse = find_early_boot_program(dir + "/arm/initoverlayfs", modules_of(x86_64()));
  ASSERT_FALSE(reverse);
  EXPECT_TRUE(has(reverse.error(), "it is for arm64 (AArch64), but the modules"));
  auto script = find_early_boot_program(dir + "/script", modules_of(arm64()));
  ASSERT_FALSE(script);
  EXPECT_TRUE(has(script.error(), "/script: not a program the kernel can run (not an ELF file)"));
  // No target (no modules, no --arch): the program is taken as given.
  EXPECT_TRUE(find_early_boot_program(dir + "/x86/initoverlayfs", std::nullopt));
  std::system(("rm -rf " + dir).c_str());
}

// The mini initramfs checks each module it stores against the program,
// compressed ones loaded on demand included.
TEST(TargetArch, MiniInitramfsRefusesModulesOfAnotherMachine) {
  const std::string dir = temp_dir();
  write(dir + "/x86", program(kX86_64), true);
  write(dir + "/arm", program(kAarch64), true);
  write(dir + "/mods/kernel/virtio_blk.ko.xz", compressed(module(kAarch64), ARCHIVE_FILTER_XZ));
  write(dir + "/mods/kernel/erofs.ko", module(kAarch64));
  MiniInitramfsSpec spec;
  spec.config_text = "bootfs LABEL=boot\n";
  spec.kver = "6.12.118+deb13-arm64";
  spec.moddir = dir + "/mods";
  spec.plan = {PlannedModule{.path = "kernel/erofs.ko"},
               PlannedModule{.path = "kernel/virtio_blk.ko.xz", .aliases = {"pci:v00001AF4d00001001*"}}};
  spec.program = dir + "/arm";
  auto good = mini_initramfs_cpio(spec);
  ASSERT_TRUE(good) << good.error().message();
  spec.program = dir + "/x86";
  auto bad = mini_initramfs_cpio(spec);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(has(bad.error(), "refusing the early-boot program " + dir + "/x86: it is for x86_64 "
                               "(x86-64), but " + dir + "/mods/kernel/erofs.ko is for arm64 (AArch64)"))
      << bad.error().message();
  // The on-demand module alone, still compressed in the archive.
  spec.plan.erase(spec.plan.begin());
  bad = mini_initramfs_cpio(spec);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(has(bad.error(), "/mods/kernel/virtio_blk.ko.xz is for arm64 (AArch64)"))
      << bad.error().message();
  std::system(("rm -rf " + dir).c_str());
}

TEST(TargetArch, ArchOption) {
  auto o = parse_builder_options({"--arch", "arm64"});
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->arch, "arm64");
  EXPECT_EQ(parse_builder_options({"--arch=aarch64"}).value().arch, "aarch64");
  auto bad = parse_builder_options({"--arch", "mips"});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(has(bad.error(), "--arch takes x86_64 or arm64, not 'mips'")) << bad.error().message();
}

// A pair for another machine than this one cannot take this machine's
// dracut or mkinitramfs (no input) or systemd (--mode systemd).
TEST(TargetArch, ThisMachinesToolsRefusedForAnother) {
  const TargetMachine arm = modules_of(arm64()), here = modules_of(x86_64());
  BuilderOptions o;
  auto no_input = check_target_for_host_tools(o, arm);
  ASSERT_FALSE(no_input);
  EXPECT_TRUE(has(no_input.error(), "no --initramfs or --rootdir: dracut or mkinitramfs would make "
                                    "the image here, with this machine's programs, for x86_64 "
                                    "(x86-64), where the modules of 6.1.0-57-arm64 in /m are for "
                                    "arm64 (AArch64)"))
      << no_input.error().message();
  EXPECT_TRUE(check_target_for_host_tools(o, here));
  o.rootdir = "/srv/arm64-root";
  EXPECT_TRUE(check_target_for_host_tools(o, arm));
  o.boot_mode = BootMode::systemd;
  auto systemd = check_target_for_host_tools(o, arm);
  ASSERT_FALSE(systemd);
  EXPECT_TRUE(has(systemd.error(), "--mode systemd: the mini initramfs would be made by this "
                                   "machine's dracut"))
      << systemd.error().message();
  EXPECT_TRUE(check_target_for_host_tools(o, here));
}
