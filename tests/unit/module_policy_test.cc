#include "builder/module_policy.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace iofs;

// A small kernel: a disk driver of each kind the generic set names, the
// filesystems, the nvdimm drivers and dm-verity, with the aliases depmod
// would write for them.
namespace {

constexpr std::string_view kModulesDep =
    "kernel/drivers/block/virtio_blk.ko:\n"
    "kernel/drivers/nvme/host/nvme.ko: kernel/drivers/nvme/host/nvme-core.ko\n"
    "kernel/drivers/nvme/host/nvme-core.ko:\n"
    "kernel/drivers/block/loop.ko:\n"
    "kernel/fs/erofs/erofs.ko:\n"
    "kernel/fs/overlayfs/overlay.ko:\n"
    "kernel/fs/ext4/ext4.ko:\n"
    "kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko\n"
    "kernel/fs/fat/fat.ko:\n"
    "kernel/fs/nls/nls_cp437.ko:\n"
    "kernel/fs/nls/nls_utf8.ko:\n"
    "kernel/fs/nls/nls_ascii.ko:\n"
    "kernel/fs/squashfs/squashfs.ko:\n"
    "kernel/drivers/nvdimm/libnvdimm.ko:\n"
    "kernel/drivers/nvdimm/nd_e820.ko: kernel/drivers/nvdimm/libnvdimm.ko\n"
    "kernel/drivers/nvdimm/of_pmem.ko: kernel/drivers/nvdimm/libnvdimm.ko\n"
    "kernel/drivers/nvdimm/nd_pmem.ko: kernel/drivers/nvdimm/libnvdimm.ko\n"
    "kernel/drivers/virtio/virtio_pmem.ko: kernel/drivers/nvdimm/libnvdimm.ko\n"
    "kernel/drivers/md/dm-mod.ko:\n"
    "kernel/drivers/md/dm-bufio.ko:\n"
    "kernel/drivers/md/dm-verity.ko: kernel/drivers/md/dm-mod.ko kernel/drivers/md/dm-bufio.ko\n"
    "kernel/drivers/md/dm-crypt.ko: kernel/drivers/md/dm-mod.ko\n"
    "kernel/drivers/scsi/megaraid/megaraid_sas.ko:\n";

constexpr std::string_view kModulesAlias =
    "alias fs-ext4 ext4\n"
    "alias fs-vfat vfat\n"
    "alias fs-squashfs squashfs\n"
    "alias fs-erofs erofs\n"
    "alias virtio:d00000002v* virtio_blk\n"
    "alias pci:v*d*sv*sd*bc01sc08i02* nvme\n"
    "alias devname:loop-control loop\n"
    "alias platform:e820_pmem nd_e820\n"
    "alias of:N*T*Cpmem-region of_pmem\n"
    "alias virtio:d0000001Bv* virtio_pmem\n"
    "alias nd:t4* nd_pmem\n"
    "alias pci:v00001000d0000005Bsv*sd*bc*sc*i* megaraid_sas\n";

const ModuleIndex& index() {
  static const ModuleIndex index = [] {
    auto i = parse_module_index(kModulesDep, "", "", kModulesAlias);
    EXPECT_TRUE(i) << i.error().message();
    return *i;
  }();
  return index;
}

// The generic set, cut down to the drivers the small kernel has.
ModuleInputs inputs(Placement p, std::string bootfs_fstype = "ext4") {
  ModuleInputs in;
  in.placement = p;
  in.bootfs_fstype = std::move(bootfs_fstype);
  in.generic_drivers = {"virtio_blk", "nvme", "loop", "erofs", "overlay"};
  in.modules_alias = std::string(kModulesAlias);
  return in;
}

using Names = std::vector<std::string>;
using NameSet = std::set<std::string>;

const PlannedModule* planned(const ModuleChoice& c, std::string_view name) {
  for (const PlannedModule& m : c.closure.plan)
    if (module_name(m.path) == name) return &m;
  return nullptr;
}

bool contains(const Names& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool any_contains(const Names& lines, std::string_view a, std::string_view b) {
  for (const std::string& l : lines)
    if (l.find(a) != l.npos && l.find(b) != l.npos) return true;
  return false;
}

}  // namespace

TEST(ModulePolicy, EachPlacementAsksForItsOwnDrivers) {
  const NameSet generic = {"virtio_blk", "nvme", "loop", "erofs", "overlay"};
  const NameSet nvdimm_and_generic = {"virtio_blk", "nvme",    "loop",        "erofs",
                                      "overlay",    "nd_e820", "of_pmem",     "virtio_pmem",
                                      "nd_pmem"};
  struct Row {
    Placement placement;
    Names requested;
    NameSet on_demand;
  } rows[] = {
      // The generic set on demand, and the boot filesystem's driver at start.
      {Placement::bootfs, {"erofs", "fs-ext4", "loop", "nvme", "overlay", "virtio_blk"}, generic},
      // No boot filesystem, no loop: the partition is the image.
      {Placement::partition, {"erofs", "nvme", "overlay", "virtio_blk"}, generic},
      // No device at all: what mounts a file of the initramfs, at start.
      {Placement::initrd, {"erofs", "loop", "overlay"}, {}},
      // The nvdimm drivers, on demand like the storage drivers.
      {Placement::pmem, {"erofs", "nd_e820", "nd_pmem", "of_pmem", "overlay", "virtio_pmem"},
       nvdimm_and_generic},
      {Placement::virtio_pmem, {"erofs", "nd_e820", "nd_pmem", "of_pmem", "overlay", "virtio_pmem"},
       nvdimm_and_generic},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(to_string(r.placement));
    ModuleChoice c = choose_modules(inputs(r.placement), index());
    EXPECT_EQ(c.requested, r.requested);
    EXPECT_EQ(c.on_demand, r.on_demand);
    EXPECT_FALSE(c.bootfs_type_guessed);
    EXPECT_TRUE(c.closure.missing.empty()) << c.closure.missing.front();
  }
}

TEST(ModulePolicy, OnDemandModulesCarryTheirDevicePatternsAndTheRestLoadAtStart) {
  ModuleChoice c = choose_modules(inputs(Placement::bootfs), index());
  ASSERT_TRUE(planned(c, "virtio_blk") && planned(c, "ext4") && planned(c, "erofs"));
  EXPECT_EQ(planned(c, "virtio_blk")->aliases, Names{"virtio:d00000002v*"});
  EXPECT_EQ(planned(c, "loop")->aliases, Names{"devname:loop-control"});
  EXPECT_TRUE(planned(c, "ext4")->aliases.empty()) << "the boot filesystem's driver loads at start";
  EXPECT_TRUE(planned(c, "erofs")->aliases.empty()) << "a filesystem has no device pattern";

  ModuleChoice pmem = choose_modules(inputs(Placement::pmem), index());
  ASSERT_TRUE(planned(pmem, "nd_e820") && planned(pmem, "nd_pmem"));
  EXPECT_EQ(planned(pmem, "nd_e820")->aliases, Names{"platform:e820_pmem"});
  ASSERT_TRUE(planned(pmem, "of_pmem"));
  EXPECT_EQ(planned(pmem, "of_pmem")->aliases, Names{"of:N*T*Cpmem-region"});
  EXPECT_EQ(planned(pmem, "nd_pmem")->aliases, Names{"nd:t4*"});
}

TEST(ModulePolicy, WithoutModulesAliasEveryModuleLoadsAtStart) {
  ModuleInputs in = inputs(Placement::bootfs);
  in.modules_alias.reset();
  ModuleChoice c = choose_modules(in, index());
  ASSERT_FALSE(c.closure.plan.empty());
  for (const PlannedModule& m : c.closure.plan) EXPECT_TRUE(m.aliases.empty()) << m.path;
}

TEST(ModulePolicy, HostonlyTakesTheBootDevicesDriversAllAtStart) {
  ModuleInputs in = inputs(Placement::bootfs);
  in.hostonly = true;
  in.host_modules = {"nvme", "nvme_core"};
  ModuleChoice c = choose_modules(in, index());
  EXPECT_EQ(c.requested, (Names{"erofs", "fs-ext4", "loop", "nvme", "nvme_core", "overlay"}));
  EXPECT_TRUE(c.on_demand.empty());
  EXPECT_FALSE(planned(c, "virtio_blk")) << "not the generic set";
  ASSERT_TRUE(planned(c, "nvme"));
  EXPECT_TRUE(planned(c, "nvme")->aliases.empty());
}

TEST(ModulePolicy, NamedDriversLoadAtStartInsteadOfOnDemand) {
  ModuleInputs in = inputs(Placement::bootfs);
  in.drivers = {"virtio_blk", "dm-crypt"};
  ModuleChoice c = choose_modules(in, index());
  EXPECT_TRUE(contains(c.requested, "dm-crypt"));
  EXPECT_FALSE(c.on_demand.contains("virtio_blk"));
  EXPECT_TRUE(c.on_demand.contains("nvme"));
  ASSERT_TRUE(planned(c, "virtio_blk") && planned(c, "dm_crypt") && planned(c, "nvme"));
  EXPECT_TRUE(planned(c, "virtio_blk")->aliases.empty());
  EXPECT_FALSE(planned(c, "nvme")->aliases.empty());

  // Even where the placement leaves a driver out: --drivers loop with a partition.
  ModuleInputs part = inputs(Placement::partition);
  part.drivers = {"loop"};
  ModuleChoice p = choose_modules(part, index());
  EXPECT_TRUE(contains(p.requested, "loop"));
  EXPECT_FALSE(p.on_demand.contains("loop"));

  // A driver that is nowhere is reported, not dropped silently.
  ModuleInputs missing = inputs(Placement::bootfs);
  missing.drivers = {"no_such_driver"};
  EXPECT_EQ(choose_modules(missing, index()).closure.missing, Names{"no_such_driver"});
}

// The boot filesystem's disk on a controller the generic set does not
// know (a RAID adapter): its driver is added, on demand like the generic
// ones; one the target kernel does not have at all is reported.
TEST(ModulePolicy, TheBootDisksOwnDriversJoinTheGenericSet) {
  ModuleInputs in = inputs(Placement::bootfs);
  in.boot_disk_modules = {"megaraid_sas", "virtio_blk"};
  ModuleChoice c = choose_modules(in, index());
  EXPECT_TRUE(contains(c.requested, "megaraid_sas"));
  EXPECT_TRUE(c.on_demand.contains("megaraid_sas"));
  ASSERT_TRUE(planned(c, "megaraid_sas"));
  EXPECT_EQ(planned(c, "megaraid_sas")->aliases, Names{"pci:v00001000d0000005Bsv*sd*bc*sc*i*"});
  EXPECT_TRUE(any_contains(c.notes, "added megaraid_sas", "generic set"));
  EXPECT_FALSE(any_contains(c.notes, "added virtio_blk", "")) << "already in the generic set";
  EXPECT_TRUE(c.boot_disk_missing.empty());

  // Nowhere in the target kernel: reported, whichever way the plan was made.
  in.boot_disk_modules = {"vendor_hba", "virtio_blk"};
  EXPECT_EQ(choose_modules(in, index()).boot_disk_missing, Names{"vendor_hba"});
  ModuleInputs host = inputs(Placement::bootfs);
  host.hostonly = true;
  host.host_modules = {"vendor_hba", "nvme"};
  EXPECT_EQ(choose_modules(host, index()).boot_disk_missing, Names{"vendor_hba"});

  // Placements that read no boot filesystem do not take them.
  for (Placement p : {Placement::partition, Placement::initrd, Placement::pmem}) {
    SCOPED_TRACE(to_string(p));
    ModuleInputs other = inputs(p);
    other.boot_disk_modules = {"megaraid_sas", "vendor_hba"};
    ModuleChoice o = choose_modules(other, index());
    EXPECT_FALSE(contains(o.requested, "megaraid_sas"));
    EXPECT_TRUE(o.boot_disk_missing.empty());
  }
}

TEST(ModulePolicy, AnotherLowerFilesystemReplacesErofs) {
  ModuleInputs in = inputs(Placement::bootfs);
  in.lowerfs = "squashfs";
  ModuleChoice c = choose_modules(in, index());
  EXPECT_FALSE(contains(c.requested, "erofs"));
  EXPECT_FALSE(c.on_demand.contains("erofs"));
  EXPECT_TRUE(contains(c.requested, "fs-squashfs"));
  EXPECT_TRUE(planned(c, "squashfs"));
  EXPECT_FALSE(planned(c, "erofs"));
}

TEST(ModulePolicy, VerityAddsDmVerityAndItsDependenciesAtStart) {
  ModuleInputs in = inputs(Placement::bootfs);
  in.verity = true;
  ModuleChoice c = choose_modules(in, index());
  EXPECT_TRUE(contains(c.requested, "dm-verity"));
  for (const char* m : {"dm_verity", "dm_mod", "dm_bufio"}) {
    ASSERT_TRUE(planned(c, m)) << m;
    EXPECT_TRUE(planned(c, m)->aliases.empty()) << m;
  }
  EXPECT_FALSE(contains(choose_modules(inputs(Placement::bootfs), index()).requested, "dm-verity"));
}

TEST(ModulePolicy, VfatBootFilesystemBringsItsCodePages) {
  ModuleChoice c = choose_modules(inputs(Placement::bootfs, "vfat"), index());
  for (const char* m : {"fs-vfat", "nls_cp437", "nls_utf8", "nls_ascii"})
    EXPECT_TRUE(contains(c.requested, m)) << m;
  EXPECT_FALSE(contains(c.requested, "fs-ext4"));
  EXPECT_FALSE(contains(choose_modules(inputs(Placement::bootfs), index()).requested, "nls_utf8"));
}

TEST(ModulePolicy, UnknownBootFilesystemTypeAddsExt4AndVfat) {
  ModuleChoice c = choose_modules(inputs(Placement::bootfs, ""), index());
  EXPECT_TRUE(c.bootfs_type_guessed);
  for (const char* m : {"fs-ext4", "fs-vfat", "nls_cp437", "nls_utf8", "nls_ascii"})
    EXPECT_TRUE(contains(c.requested, m)) << m;
  EXPECT_TRUE(planned(c, "ext4") && planned(c, "vfat") && planned(c, "fat"));

  // Without a boot filesystem its type does not matter.
  for (Placement p : {Placement::partition, Placement::initrd, Placement::pmem}) {
    SCOPED_TRACE(to_string(p));
    ModuleChoice none = choose_modules(inputs(p, ""), index());
    EXPECT_FALSE(none.bootfs_type_guessed);
    EXPECT_FALSE(contains(none.requested, "fs-ext4"));
    EXPECT_FALSE(contains(none.requested, "fs-vfat"));
  }
}

TEST(ModulePolicy, TheGenericSetIsTheDefault) {
  EXPECT_EQ(ModuleInputs{}.generic_drivers, generic_storage_drivers());
}


// modprobe.d applied as modprobe would apply it when the classic
// initramfs loads these modules.
TEST(ModulePolicy, ModprobeOptionsBlacklistsAndCommands) {
  ModuleInputs in = inputs(Placement::bootfs);
  in.modprobe.options = {{"nvme_core", "default_ps_max_latency_us=0"}, {"erofs", "x=\"a b\""},
                         {"not_planned", "y=1"}};
  in.modprobe.blacklist = {"virtio_blk", "overlay"};
  in.modprobe.install = {{"nvme", "/bin/true"},
                         {"erofs", "/usr/bin/false"},
                         {"ext*", "/sbin/modprobe --ignore-install ext4; echo done"}};
  in.modprobe.remove = {{"loop", "/bin/echo bye"}};
  ModuleChoice c = choose_modules(in, index());
  ASSERT_TRUE(planned(c, "nvme_core") && planned(c, "nvme") && planned(c, "virtio_blk") &&
              planned(c, "overlay") && planned(c, "erofs") && planned(c, "ext4"));
  EXPECT_EQ(planned(c, "nvme_core")->options, "default_ps_max_latency_us=0");
  EXPECT_EQ(planned(c, "erofs")->options, "x=\"a b\"");
  EXPECT_TRUE(planned(c, "nvme")->options.empty());
  // Blacklisted: the device driver is not loaded for its device; the
  // filesystem the mini initramfs asks for by name is loaded regardless.
  EXPECT_TRUE(planned(c, "virtio_blk")->blacklisted);
  EXPECT_FALSE(planned(c, "virtio_blk")->aliases.empty());
  EXPECT_TRUE(planned(c, "overlay")->blacklisted);
  EXPECT_TRUE(planned(c, "overlay")->aliases.empty());
  EXPECT_TRUE(any_contains(c.notes, "overlay", "loaded"));
  // "install nvme /bin/true" keeps nvme out like a blacklist does.
  EXPECT_TRUE(planned(c, "nvme")->blacklisted);
  EXPECT_FALSE(planned(c, "nvme_core")->blacklisted);
  EXPECT_TRUE(planned(c, "erofs")->blacklisted);
  EXPECT_FALSE(planned(c, "ext4")->blacklisted);
  // Commands that cannot run: a warning naming the module and saying what
  // happens instead; none for the /bin/true of an on-demand driver.
  EXPECT_EQ(c.warnings.size(), 2u);
  EXPECT_TRUE(any_contains(c.warnings, "install erofs /usr/bin/false", "still loaded"));
  EXPECT_TRUE(any_contains(c.warnings, "install ext4 /sbin/modprobe", "ext4 is loaded directly"));
  EXPECT_TRUE(any_contains(c.notes, "install nvme /bin/true", "not loaded for a device"));
  EXPECT_TRUE(any_contains(c.notes, "'remove'", "loop"));
  // The plan carries it all to the early-boot program.
  auto plan = parse_load_plan(format_load_plan(c.closure.plan));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(*plan == c.closure.plan);
}

TEST(ModulePolicy, NoModprobeConfigChangesNothing) {
  ModuleChoice c = choose_modules(inputs(Placement::bootfs), index());
  for (const PlannedModule& m : c.closure.plan) {
    EXPECT_TRUE(m.options.empty()) << m.path;
    EXPECT_FALSE(m.blacklisted) << m.path;
  }
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_TRUE(c.notes.empty());
}

// A control character would break the plan's line; the module loads
// without those options, and the user is told.
TEST(ModulePolicy, ModprobeOptionsWithControlCharactersAreDropped) {
  ModuleInputs in = inputs(Placement::bootfs);
  in.modprobe.options = {{"erofs", "x=1\ny=2"}};
  ModuleChoice c = choose_modules(in, index());
  ASSERT_TRUE(planned(c, "erofs"));
  EXPECT_TRUE(planned(c, "erofs")->options.empty());
  EXPECT_TRUE(any_contains(c.warnings, "erofs", "control character"));
}

// modprobe.d's "softdep" in place of modules.softdep's, the first match.
TEST(ModulePolicy, ModprobeSoftdepAddsItsPreModules) {
  ModuleIndex idx = index();
  ModprobeConfig cfg;
  cfg.softdeps = {{"ero*", {"squashfs"}}, {"erofs", {"nls_utf8"}}};
  Names notes = apply_modprobe_softdeps(idx, cfg);
  EXPECT_EQ(notes, Names{"modprobe.d: soft dependencies of erofs: pre: squashfs"});
  ModuleInputs in = inputs(Placement::bootfs);
  ModuleChoice c = choose_modules(in, idx);
  const PlannedModule* erofs = planned(c, "erofs");
  ASSERT_TRUE(erofs && planned(c, "squashfs"));
  ASSERT_EQ(erofs->after.size(), 1u);
  EXPECT_EQ(module_name(c.closure.plan[erofs->after[0]].path), "squashfs");
  EXPECT_FALSE(planned(c, "nls_utf8"));
  EXPECT_TRUE(apply_modprobe_softdeps(idx, cfg).empty()) << "nothing changes the second time";
}
