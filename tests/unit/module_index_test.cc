#include "builder/module_index.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "samples.h"

using namespace iofs;

// Samples in samples/modules/ are excerpts of the real files of two depmod'ed
// Debian kernels: 6.12.117+deb12-amd64 (.ko.xz, virtio_pci built in) and
// 6.1.0-56-cloud-amd64 (.ko, ext4 and nvme built in, virtio_pci a module).
namespace {

enum class Modinfo { kWith, kWithout };

ModuleIndex sample_index(const std::string& kernel, Modinfo modinfo = Modinfo::kWith) {
  std::string base = "modules/" + kernel + ".modules.";
  std::string builtin_modinfo =
      modinfo == Modinfo::kWith ? read_sample(base + "builtin.modinfo") : "";
  auto index = parse_module_index(read_sample(base + "dep"), read_sample(base + "builtin"),
                                  read_sample(base + "softdep"), read_sample(base + "alias"),
                                  builtin_modinfo);
  EXPECT_TRUE(index) << index.error().message();
  EXPECT_FALSE(index->modules.empty()) << "sample files not found for " << kernel;
  return *index;
}

std::vector<std::string> names_of(const std::vector<PlannedModule>& plan) {
  std::vector<std::string> names;
  for (const PlannedModule& m : plan) names.push_back(module_name(m.path));
  return names;
}

size_t position(const std::vector<PlannedModule>& plan, std::string_view name) {
  for (size_t i = 0; i < plan.size(); ++i)
    if (module_name(plan[i].path) == name) return i;
  ADD_FAILURE() << name << " is not in the plan";
  return plan.size();
}

// The plan is a valid load plan, and every module comes after all the
// modules modules.dep says it needs.
void expect_valid_order(const ModuleIndex& index, const ModuleClosure& c) {
  auto reparsed = parse_load_plan(format_load_plan(c.plan));
  ASSERT_TRUE(reparsed) << reparsed.error().message();
  EXPECT_EQ(reparsed->size(), c.plan.size());
  for (size_t i = 0; i < c.plan.size(); ++i) {
    const auto& m = index.modules[index.by_name.at(module_name(c.plan[i].path))];
    for (size_t d : m.deps)
      EXPECT_LT(position(c.plan, module_name(index.modules[d].path)), i)
          << index.modules[d].path << " must come before " << c.plan[i].path;
    for (size_t s : c.plan[i].after) {
      EXPECT_LT(s, i);
      EXPECT_EQ(std::find(c.plan[i].deps.begin(), c.plan[i].deps.end(), s),
                c.plan[i].deps.end()) << "a soft dependency is not also a hard one";
    }
    EXPECT_EQ((*reparsed)[i].after, c.plan[i].after);
  }
}

using Names = std::vector<std::string>;

}  // namespace

TEST(ModuleIndex, ParsesRealSamples) {
  ModuleIndex idx = sample_index("6.12");
  EXPECT_EQ(idx.modules.size(), 51u);
  const auto& ext4 = idx.modules[idx.by_name.at("ext4")];
  EXPECT_EQ(ext4.path, "kernel/fs/ext4/ext4.ko.xz");
  ASSERT_EQ(ext4.deps.size(), 3u);
  EXPECT_EQ(idx.modules[ext4.deps[2]].path, "kernel/fs/jbd2/jbd2.ko.xz");
  EXPECT_TRUE(idx.by_name.contains("crc32c_intel"));  // file crc32c-intel.ko.xz
  EXPECT_TRUE(idx.builtin.contains("crc32"));
  EXPECT_EQ(idx.aliases.at("crc32c"), (Names{"crc32c_intel", "crc32c_generic"}));
  EXPECT_EQ(idx.softdeps_pre.at("libcrc32c"), (Names{"crc32c"}));
  // "softdep cifs gcm" has no "pre:": ignored, as kmod does.
  EXPECT_TRUE(idx.softdeps_pre.at("cifs").empty());
  EXPECT_EQ(idx.softdeps_pre.at("ext4"), (Names{"crypto-crc32c"}));

  ModuleIndex cloud = sample_index("6.1-cloud");
  EXPECT_TRUE(cloud.builtin.contains("ext4"));
  EXPECT_TRUE(cloud.builtin_aliases.contains("fs_ext4"));
  EXPECT_TRUE(cloud.builtin_aliases.contains("crc32c"));
}

TEST(ModuleClosure, BootSetOn612InLoadOrder) {
  ModuleIndex idx = sample_index("6.12");
  ModuleClosure c = resolve_modules(idx, {"virtio_blk", "ext4", "erofs", "overlay", "loop"});
  EXPECT_TRUE(c.missing.empty());
  EXPECT_TRUE(c.builtin.empty());
  // ext4's hard deps; jbd2 and ext4 want "crypto-crc32c" first (softdep),
  // which both crc32c modules provide; erofs needs libcrc32c, which wants
  // "crc32c" (already placed).
  EXPECT_EQ(names_of(c.plan),
            (Names{"virtio_blk", "crc16", "mbcache", "crc32c_intel", "crc32c_generic", "jbd2",
                   "ext4", "libcrc32c", "erofs", "overlay", "loop"}));
  expect_valid_order(idx, c);
  size_t ext4 = position(c.plan, "ext4");
  EXPECT_EQ(c.plan[ext4].deps.size(), 3u);  // crc16 mbcache jbd2
  EXPECT_EQ(c.plan[ext4].after, (std::vector<size_t>{3, 4}));  // the crc32c providers
  EXPECT_EQ(c.plan[position(c.plan, "virtio_blk")].path, "kernel/drivers/block/virtio_blk.ko.xz");
}

TEST(ModuleClosure, Libcrc32cPullsInACrc32cProviderFirst) {
  ModuleIndex idx = sample_index("6.12");
  ModuleClosure c = resolve_modules(idx, {"libcrc32c"});
  EXPECT_EQ(names_of(c.plan), (Names{"crc32c_intel", "crc32c_generic", "libcrc32c"}));
  EXPECT_TRUE(c.plan[2].deps.empty());
  EXPECT_EQ(c.plan[2].after, (std::vector<size_t>{0, 1}));
  expect_valid_order(idx, c);

  // On 6.1-cloud crc32c_generic is built in: the soft dependency is met.
  ModuleIndex cloud = sample_index("6.1-cloud");
  EXPECT_EQ(names_of(resolve_modules(cloud, {"libcrc32c"}).plan), (Names{"libcrc32c"}));
  // Without modules.builtin.modinfo nothing says so; the module provider
  // comes first.
  ModuleIndex bare = sample_index("6.1-cloud", Modinfo::kWithout);
  EXPECT_EQ(names_of(resolve_modules(bare, {"libcrc32c"}).plan),
            (Names{"crc32c_intel", "libcrc32c"}));
}

TEST(ModuleClosure, CloudKernelHasExt4BuiltInAndVirtioPciAsModules) {
  ModuleIndex idx = sample_index("6.1-cloud");
  ModuleClosure c =
      resolve_modules(idx, {"virtio_pci", "virtio_blk", "ext4", "erofs", "overlay", "loop"});
  EXPECT_EQ(c.builtin, (Names{"ext4"}));
  EXPECT_TRUE(c.missing.empty());
  Names names = names_of(c.plan);
  ASSERT_GE(names.size(), 5u);
  Names first4(names.begin(), names.begin() + 4);
  std::sort(first4.begin(), first4.end());
  EXPECT_EQ(first4,
            (Names{"virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_ring"}));
  EXPECT_EQ(names[4], "virtio_pci");
  EXPECT_LT(position(c.plan, "virtio_ring"), position(c.plan, "virtio"));
  EXPECT_EQ(c.plan[4].path, "kernel/drivers/virtio/virtio_pci.ko");
  EXPECT_EQ(c.plan[4].deps.size(), 4u);
  expect_valid_order(idx, c);

  // The alias of a built-in module is built in, too.
  EXPECT_EQ(resolve_modules(idx, {"fs-ext4"}).builtin, (Names{"fs-ext4"}));
  // 6.12 has virtio_pci built in and ext4 as a module.
  ModuleClosure c612 = resolve_modules(sample_index("6.12"), {"virtio_pci", "fs-ext4"});
  EXPECT_EQ(c612.builtin, (Names{"virtio_pci"}));
  EXPECT_EQ(names_of(c612.plan).back(), "ext4");
}

TEST(ModuleClosure, UnknownNamesAreReportedMissing) {
  ModuleIndex idx = sample_index("6.12");
  ModuleClosure c = resolve_modules(idx, {"no_such_driver", "overlay", "fs-nosuchfs", "no_such_driver"});
  EXPECT_EQ(c.missing, (Names{"no_such_driver", "fs-nosuchfs"}));
  EXPECT_EQ(names_of(c.plan), (Names{"overlay"}));
  // A wildcard alias is not an exact alias.
  EXPECT_EQ(resolve_modules(idx, {"virtio:d00000002v*"}).missing, (Names{"virtio:d00000002v*"}));
}

TEST(ModuleClosure, DashAndUnderscoreAreTheSame) {
  ModuleIndex idx = sample_index("6.12");
  ModuleClosure c = resolve_modules(idx, {"usb-storage", "crc32c-intel", "virtio-blk", "fs_vfat"});
  EXPECT_TRUE(c.missing.empty());
  Names names = names_of(c.plan);
  EXPECT_NE(std::find(names.begin(), names.end(), "usb_storage"), names.end());
  EXPECT_EQ(c.plan[position(c.plan, "usb_storage")].path,
            "kernel/drivers/usb/storage/usb-storage.ko.xz");
  EXPECT_EQ(c.plan[position(c.plan, "crc32c_intel")].path,
            "kernel/arch/x86/crypto/crc32c-intel.ko.xz");
  EXPECT_EQ(names.back(), "vfat");
  expect_valid_order(idx, c);
}

TEST(ModuleClosure, SoftDependencyCyclesAreBroken) {
  auto idx = parse_module_index(
      "kernel/a.ko:\nkernel/b.ko:\nkernel/c.ko: kernel/d.ko\nkernel/d.ko:\nkernel/e.ko:\n", "",
      "softdep a pre: b\nsoftdep b pre: c\nsoftdep c pre: a\nsoftdep e pre: e\n", "");
  ASSERT_TRUE(idx) << idx.error().message();
  ModuleClosure c = resolve_modules(*idx, {"a", "e"});
  // a -> b -> c -> a: the edge back to a is dropped, c goes first.
  EXPECT_EQ(names_of(c.plan), (Names{"d", "c", "b", "a", "e"}));
  EXPECT_EQ(c.plan[1].deps, (std::vector<size_t>{0}));  // c: only d
  EXPECT_TRUE(c.plan[1].after.empty());                 // not a
  EXPECT_EQ(c.plan[3].after, (std::vector<size_t>{2}));  // a: after b
  EXPECT_TRUE(c.plan[4].after.empty());                  // e: not itself
  EXPECT_TRUE(parse_load_plan(format_load_plan(c.plan)));

  // Starting elsewhere in the cycle starts the order elsewhere.
  EXPECT_EQ(names_of(resolve_modules(*idx, {"b"}).plan), (Names{"d", "a", "c", "b"}));
}

TEST(ModuleClosure, HardDependencyCycleTerminates) {
  // depmod refuses such a file; a hand-made one must not hang the builder.
  auto idx = parse_module_index("kernel/x.ko: kernel/y.ko\nkernel/y.ko: kernel/x.ko\n", "", "", "");
  ASSERT_TRUE(idx);
  EXPECT_EQ(names_of(resolve_modules(*idx, {"x"}).plan), (Names{"y", "x"}));
}

TEST(ModuleClosure, SoftDependencyOnNothingIsIgnored) {
  auto idx = parse_module_index("kernel/a.ko:\n", "", "softdep a pre: nowhere post: b\n", "");
  ASSERT_TRUE(idx);
  ModuleClosure c = resolve_modules(*idx, {"a"});
  EXPECT_EQ(names_of(c.plan), (Names{"a"}));
  EXPECT_TRUE(c.missing.empty());
}

TEST(ModuleClosure, SameInputSamePlan) {
  Names names = generic_storage_drivers();
  names.push_back("ext4");
  std::string first = format_load_plan(resolve_modules(sample_index("6.12"), names).plan);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(format_load_plan(resolve_modules(sample_index("6.12"), names).plan), first);
}

TEST(ModuleClosure, GenericStorageDrivers) {
  Names generic = generic_storage_drivers();
  for (const char* n : {"virtio_blk", "nvme", "ahci", "sd_mod", "usb_storage", "uas",
                        "xhci_pci", "mmc_block", "loop", "erofs", "overlay"})
    EXPECT_NE(std::find(generic.begin(), generic.end(), n), generic.end()) << n;

  ModuleIndex idx = sample_index("6.12");
  ModuleClosure c = resolve_modules(idx, generic);
  EXPECT_TRUE(c.missing.empty());
  EXPECT_EQ(c.builtin, (Names{"virtio_pci"}));
  EXPECT_EQ(c.plan.size(), 31u);  // 15 modules asked for, 16 dependencies
  expect_valid_order(idx, c);

  // The cloud kernel has no AHCI, USB or MMC drivers, and NVMe built in.
  ModuleClosure cloud = resolve_modules(sample_index("6.1-cloud"), generic);
  EXPECT_EQ(cloud.builtin, (Names{"nvme"}));
  EXPECT_EQ(cloud.missing, (Names{"ahci", "usb_storage", "uas", "xhci_pci", "ehci_pci",
                                  "mmc_block", "sdhci_pci", "sdhci_acpi"}));
}

TEST(ModuleIndex, GarbledModulesDepNamesTheLine) {
  auto expect_error = [](std::string_view dep, std::string_view what) {
    auto idx = parse_module_index(dep, "", "", "");
    ASSERT_FALSE(idx) << "accepted: " << dep;
    EXPECT_EQ(idx.error().op, "modules.dep");
    EXPECT_NE(idx.error().message().find(what), std::string::npos) << idx.error().message();
  };
  expect_error("kernel/a.ko:\nkernel/b.ko kernel/a.ko\n", "line 2: no ':'");
  expect_error("kernel/a.ko:\n\x7f" "ELF\x02\x01\x01\0\0\0:\n", "line 2: binary data");
  expect_error(std::string_view("kernel/a.ko:\0\0\0\n", 16), "line 1: binary data");
  expect_error("# comment\n\nkernel/a.ko: kernel/b.ko\n", "line 3: dependency kernel/b.ko");
  expect_error("kernel/a.ko:\nkernel/sub/a.ko.xz:\n", "line 2: module a listed twice");
  expect_error("/lib/modules/6.1/kernel/a.ko:\n", "line 1: bad module path");
  expect_error("kernel/../../etc/a.ko:\n", "line 1: bad module path");
  expect_error("kernel/a.txt:\n", "line 1: bad module path");
  expect_error("kernel/a.ko: kernel/b.k\nkernel/b.ko:\n", "line 1: bad dependency path");
  // Cut short after a complete word: only the missing end of line shows it.
  expect_error("kernel/b.ko:\nkernel/a.ko: kernel/b.ko", "line 2: no end of line");

  // Every cut of a real file is either rejected or parsed; never a crash.
  std::string full = read_sample("modules/6.12.modules.dep");
  ASSERT_FALSE(full.empty());
  for (size_t len = 0; len < full.size(); ++len) {
    std::string_view cut(full.data(), len);
    auto idx = parse_module_index(cut, "", "", "");
    if (len == 0 || full[len - 1] == '\n') {
      // A cut between lines may leave a dependency without its own line.
      if (!idx) {
        EXPECT_NE(idx.error().detail.find("has no line of its own"), std::string::npos);
      }
    } else {
      EXPECT_FALSE(idx) << "accepted a file cut at byte " << len;
    }
  }
}

TEST(ModuleIndex, GarbledOtherFilesNameTheFileAndLine) {
  std::string dep = "kernel/a.ko:\n";
  auto alias = parse_module_index(dep, "", "", "# c\nalias x a\nalias y\n");
  ASSERT_FALSE(alias);
  EXPECT_EQ(alias.error().message(), "modules.alias line 3: expected 'alias PATTERN MODULE'");
  // A pattern with spaces (Debian 13's arm64 6.12): the module is the last
  // word; the pattern, which no name can be, is not kept.
  auto spaced = parse_module_index(dep, "", "",
                                   "alias mt8183_max98357 soc card mt8183_max98357\nalias x a\n");
  ASSERT_TRUE(spaced) << spaced.error().message();
  EXPECT_FALSE(spaced->aliases.contains("mt8183_max98357"));
  EXPECT_FALSE(spaced->aliases.contains("mt8183_max98357 soc card"));
  EXPECT_EQ(spaced->aliases.at("x"), std::vector<std::string>{"a"});
  auto softdep = parse_module_index(dep, "", "softdep\n", "");
  ASSERT_FALSE(softdep);
  EXPECT_EQ(softdep.error().message(), "modules.softdep line 1: 'softdep' without a module name");
  auto softdep2 = parse_module_index(dep, "", "options a x=1\n", "");
  ASSERT_FALSE(softdep2);
  EXPECT_NE(softdep2.error().message().find("modules.softdep line 1"), std::string::npos);
  auto builtin = parse_module_index(dep, "kernel/ok.ko\n\x01\x02\n", "", "");
  ASSERT_FALSE(builtin);
  EXPECT_EQ(builtin.error().message(), "modules.builtin line 2: binary data where text was expected");
  auto modinfo = parse_module_index(dep, "", "", "", std::string_view("ext4.alias=fs-ext4\0junk\0", 24));
  ASSERT_FALSE(modinfo);
  EXPECT_NE(modinfo.error().message().find("modules.builtin.modinfo record 2"), std::string::npos);
  // CRLF line ends and blank lines are fine.
  EXPECT_TRUE(parse_module_index("kernel/a.ko:\r\n\r\n", "\n", "\n", "\r\n"));
}

namespace {

// A scratch module directory, removed at the end of the test.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    char tmpl[] = "/tmp/iofs-module-index-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
};

}  // namespace

TEST(ModuleIndex, LoadsFromAModuleDirectory) {
  ScratchDir dir;
  auto missing = load_module_index(dir.path.string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().err, ENOENT);
  EXPECT_NE(missing.error().message().find("run 'depmod iofs-module-index-"), std::string::npos)
      << missing.error().message();

  // Only modules.dep: the others count as empty.
  dir.write("modules.dep", read_sample("modules/6.1-cloud.modules.dep"));
  auto only_dep = load_module_index(dir.path.string());
  ASSERT_TRUE(only_dep) << only_dep.error().message();
  EXPECT_TRUE(only_dep->builtin.empty());

  for (const char* f : {"builtin", "softdep", "alias", "builtin.modinfo"})
    dir.write(std::string("modules.") + f,
              read_sample(std::string("modules/6.1-cloud.modules.") + f));
  auto all = load_module_index(dir.path.string() + "/");
  ASSERT_TRUE(all) << all.error().message();
  EXPECT_EQ(resolve_modules(*all, {"ext4"}).builtin, (Names{"ext4"}));

  dir.write("modules.alias", "alias\n");
  auto bad = load_module_index(dir.path.string());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().op, (dir.path / "modules.alias").string());
  EXPECT_EQ(bad.error().detail, "line 1: expected 'alias PATTERN MODULE'");
}
