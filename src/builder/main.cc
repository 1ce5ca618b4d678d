// initoverlayfs-install: splits an initramfs into a mini initramfs (the
// early-boot program, its config, the storage modules) and an EROFS image
// of the whole initial filesystem, written as a pair into /boot.
//
// The passes, in order:
//   1. kernel and program   which kernel, its modules, our /init binary
//   2. boot filesystem      where the image will be read from at boot
//   3. input                a tree to turn into the image (extracted from
//                           an initramfs, a directory, or a fresh one made
//                           by dracut / mkinitramfs)
//   4. modules              the closure of the storage drivers for the plan
//   5. image                mkfs.erofs, under a temporary name
//   6. mini initramfs       cpio + compression, under a temporary name
//   7. commit               rename both into place, image first
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>

#include "builder/bootfs.h"
#include "builder/cpio.h"
#include "builder/device_aliases.h"
#include "builder/host_config.h"
#include "builder/hostonly.h"
#include "builder/image.h"
#include "builder/initramfs_input.h"
#include "builder/interrupt.h"
#include "builder/mapped_file.h"
#include "builder/mini_initramfs.h"
#include "builder/module_index.h"
#include "builder/options.h"
#include "builder/partition_writer.h"
#include "builder/scratch.h"
#include "builder/spawn.h"
#include "builder/verity.h"
#include "builder/systemd_initramfs.h"
#include "builder/unpack_limit.h"
#include "core/config.h"
#include "core/device_spec.h"
#include "core/strings.h"
#include "core/sys.h"

namespace fs = std::filesystem;

namespace iofs {
namespace {

// TEMPLATE with each {KEY} replaced by its value.
std::string fill_in(std::string_view tmpl,
                    std::initializer_list<std::pair<std::string_view, std::string>> values) {
  std::string out;
  while (!tmpl.empty()) {
    size_t open = tmpl.find('{');
    out += tmpl.substr(0, open);
    if (open == std::string_view::npos) break;
    tmpl.remove_prefix(open);
    bool replaced = false;
    for (const auto& [key, value] : values)
      if (tmpl.size() > key.size() + 1 && tmpl.substr(1, key.size()) == key && tmpl[key.size() + 1] == '}') {
        out += value;
        tmpl.remove_prefix(key.size() + 2);
        replaced = true;
        break;
      }
    if (!replaced) {
      out += '{';
      tmpl.remove_prefix(1);
    }
  }
  return out;
}

std::string human_size(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  return buf;
}

uint64_t file_size(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// Where the program we install as /init is: beside us in a build tree, or
// in the sbin that was installed with our bin.
Result<std::string> find_early_boot_program(const std::string& given) {
  if (!given.empty()) {
    if (!sys::is_executable(given)) return fail("early-boot program", given + ": not an executable file");
    return given;
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return fail("find own location", "/proc/self/exe", ec.value());
  const fs::path candidates[] = {self.parent_path() / IOFS_SBINDIR_FROM_BINDIR / "initoverlayfs",
                                 self.parent_path() / "initoverlayfs"};
  for (const fs::path& candidate : candidates) {
    if (sys::is_executable(candidate.string())) return fs::weakly_canonical(candidate).string();
  }
  return fail("find the early-boot program",
              str("no initoverlayfs next to ", self.string(), " or in ",
                  (self.parent_path() / IOFS_SBINDIR_FROM_BINDIR).string(),
                  "; use --early-boot-program"));
}

struct Builder {
  BuilderOptions o;
  OutputTemps temps;   // the two outputs, until renamed into place
  ScratchDir scratch;  // everything else the build makes on the side
  std::string program, tree, input_desc, early;
  uint64_t input_bytes = 0;
  size_t files_in_image = 0;
  BootfsChoice bootfs;
  std::string image_uuid;  // pmem placements
  ModuleClosure modules;
  std::vector<std::string> requested;
  std::optional<VerityConfig> verity;  // --verity: the appended tree's parameters
  static constexpr const char* kRootHashSig = "etc/initoverlayfs.roothash.p7s";
  bool already_converted = false;  // --hook and the input is a mini initramfs

  template <class... Args>
  void say(const Args&... args) {
    if (o.verbose) std::fprintf(stderr, "initoverlayfs-install: %s\n", str(args...).c_str());
  }

  Result<void> resolve_kernel() {
    if (o.kver.empty()) {
      struct utsname u;
      ::uname(&u);
      o.kver = u.release;
    }
    if (o.moddir.empty()) {
      for (std::string d : {"/lib/modules/" + o.kver, "/usr/lib/modules/" + o.kver})
        if (sys::exists(d)) { o.moddir = d; break; }
      if (o.moddir.empty())
        return fail("find modules of kernel", o.kver + ": no /lib/modules/" + o.kver + "; use --moddir");
    }
    if (o.initramfs_name.empty())  // as Debian's dracut names it, when standing in for it
      o.initramfs_name = o.dracut_wrapper ? "initrd.img-" + o.kver : "initramfs-" + o.kver + ".img";
    if (o.image_name.empty()) o.image_name = "initoverlayfs-" + o.kver + ".img";
    program = TRY(find_early_boot_program(o.early_boot_program));
    say("kernel ", o.kver, ", modules from ", o.moddir, ", /init from ", program);
    for (const std::string& name : {o.initramfs_name, o.image_name}) {
      std::string path = o.output_dir + "/" + name;
      if (sys::exists(path) && !o.force)
        return fail("refusing to replace", path + " (use -f)");
    }
    if (!fs::is_directory(o.output_dir))
      return fail("output directory", o.output_dir + ": not a directory");
    return {};
  }

  Result<void> choose_boot_filesystem() {
    switch (info().device) {
      case ImageDevice::none:
        bootfs.reason = "none: the image is in the mini initramfs";
        return {};
      case ImageDevice::named_partition:
        bootfs.spec = TRY(parse_device_spec(o.bootfs)).to_string();
        bootfs.reason = "the image is the partition itself";
        return {};
      case ImageDevice::image_uuid: {
        // The pmem device is found by the image's own UUID: libblkid reads
        // the EROFS superblock, so what is mounted is checked to be this image.
        std::string uuid = std::string(trim(TRY(sys::read_file("/proc/sys/kernel/random/uuid"))));
        image_uuid = uuid;
        bootfs.spec = "UUID=" + uuid;
        bootfs.reason = "the UUID given to the image, read from its superblock at boot";
        return {};
      }
      case ImageDevice::boot_filesystem:
        break;
    }
    bootfs = TRY(choose_bootfs(o.output_dir, o.bootfs, o.bootfstype, o.bootfs_path));
    say("boot filesystem ", bootfs.spec, " (", bootfs.reason, "), image directory on it: ", bootfs.dir);
    return {};
  }

  // Pass 3: the tree that becomes the image.
  Result<void> prepare_input() {
    if (!o.rootdir.empty()) {
      if (!fs::is_directory(o.rootdir)) return fail("input", o.rootdir + ": not a directory");
      tree = o.rootdir;
      input_desc = "directory " + o.rootdir;
      return {};
    }
    std::string file = o.initramfs;
    if (file.empty()) file = TRY(generate_initramfs());
    say("reading ", file);
    MappedFile input = TRY(MappedFile::open(file));
    input_bytes = input.view().size();
    uint64_t limit = o.max_unpacked_size;
    std::string limit_source = "--max-unpacked-size";
    if (limit == 0) {
      limit = default_max_unpacked(TRY(scratch.available_bytes()));
      limit_source = str("the default: the free space in the scratch directory's filesystem (",
                         scratch.path(), "), at most ", format_size(kMaxUnpackedCeiling),
                         "; see --max-unpacked-size");
    }
    say("unpacking at most ", format_size(limit), " into ", scratch.path(), "/tree");
    // Streams straight into the tree: the archives are never held in memory.
    tree = TRY(scratch.make_dir("tree"));
    auto unpacked = unpack_initramfs(input.view(), tree, {.max_unpacked = limit,
                                                          .marker = std::string(kMiniInitramfsMarker),
                                                          .release_input = true});
    if (!unpacked && unpacked.error().op == "unpack" && unpacked.error().err == EFBIG)
      return fail("refusing input", str(file, ": it unpacks to more than ", format_size(limit),
                                        " (", limit_source, ")"));
    if (!unpacked) return std::unexpected(unpacked.error());
    if (unpacked->has_marker) {
      // Hooks run again on every update; converting our own output would
      // put the mini initramfs inside an image of itself.
      if (!o.hook)
        return fail("input", file + " is already a mini initramfs made by initoverlayfs-install; "
                             "give the original initramfs (--hook skips such input)");
      std::printf("initoverlayfs-install: %s is already a mini initramfs made by "
                  "initoverlayfs-install; nothing to do\n", file.c_str());
      already_converted = true;
      return {};
    }
    early = unpacked->early;
    const ExtractStats& total = unpacked->stats;
    files_in_image = total.files + total.dirs + total.symlinks + total.devices;
    input_desc = str(file, " (", human_size(input_bytes), ", ", unpacked->compression,
                     early.empty() ? "" : str(", early cpio ", human_size(early.size())), ")");
    say("extracted ", total.files, " files, ", total.dirs, " directories, ", total.symlinks,
        " symlinks, ", total.devices, " device nodes (", human_size(unpacked->unpacked_bytes),
        " of cpio) into ", tree);
    return {};
  }

  Result<std::string> generate_initramfs() {
    std::string dir = TRY(scratch.make_dir("generated"));
    std::string out = dir + "/initramfs.img";
    if (program_exists("dracut")) {
      say("running dracut for ", o.kver);
      // --kmoddir so that a kernel unpacked elsewhere (--moddir) works too.
      std::vector<std::string> argv = {"dracut", "--force", "--kver", o.kver, "--kmoddir", o.moddir};
      argv.insert(argv.end(), o.dracut_args.begin(), o.dracut_args.end());  // --dracut
      argv.push_back(out);
      TRY(run_program(argv, {.quiet = !o.verbose}));
    } else if (program_exists("mkinitramfs")) {
      say("running mkinitramfs for ", o.kver);
      TRY(run_program({"mkinitramfs", "-o", out, o.kver}, {.quiet = !o.verbose}));
    } else {
      return fail("no input", "give --initramfs or --rootdir, or install dracut or initramfs-tools");
    }
    return out;
  }

  // Pass 4.
  Result<void> choose_modules() {
    ModuleIndex index = TRY(load_module_index(o.moddir));
    std::set<std::string> names;
    if (o.hostonly) {
      struct stat st;
      if (::stat(o.output_dir.c_str(), &st) != 0) return sys_error("stat", o.output_dir);
      for (auto& m : TRY(modules_for_block_device("/sys", major(st.st_dev), minor(st.st_dev))))
        names.insert(m);
      for (const char* m : {"erofs", "overlay", "loop"}) names.insert(m);
    } else {
      switch (info().modules) {
        case ModulePolicy::none:
          // No disk: the image is a file in the initramfs, behind a loop device.
          names.insert({"erofs", "overlay", "loop"});
          break;
        case ModulePolicy::nvdimm_on_demand:
          // The nvdimm drivers, on demand like storage drivers: nd_e820 for the
          // memmap= region (platform:e820_pmem), virtio_pmem for the virtio
          // device, nd_pmem for the namespace either one announces (nd:t4/t5).
          names.insert({"erofs", "overlay", "nd_e820", "virtio_pmem", "nd_pmem"});
          break;
        case ModulePolicy::storage_on_demand:
          for (auto& m : generic_storage_drivers()) names.insert(m);
          break;
      }
    }
    if (info().device != ImageDevice::boot_filesystem) {
      // No boot filesystem to mount, so no driver for one (nor loop for a
      // partition: the image is a block device already).
      if (!info().needs_loop) names.erase("loop");
    } else if (!bootfs.fstype.empty()) {
      names.insert("fs-" + bootfs.fstype);
      if (bootfs.fstype == "vfat") names.insert({"nls_cp437", "nls_utf8", "nls_ascii"});
    } else {
      say("boot filesystem type unknown: adding ext4 and vfat (use --bootfstype)");
      names.insert({"fs-ext4", "fs-vfat", "nls_cp437", "nls_utf8", "nls_ascii"});
    }
    // The generic drivers load on demand, when a device that wants them is
    // there; everything else asked for (filesystems, --drivers, --hostonly)
    // loads at start.
    std::set<std::string> on_demand;
    if (!o.hostonly && info().modules != ModulePolicy::none)
      for (const std::string& m : generic_storage_drivers()) on_demand.insert(normalize_module_name(m));
    if (info().modules == ModulePolicy::nvdimm_on_demand)
      on_demand.insert({"nd_e820", "virtio_pmem", "nd_pmem"});
    for (const std::string& d : o.drivers) {
      names.insert(d);
      on_demand.erase(normalize_module_name(d));
    }
    if (o.lowerfs != "erofs") {
      // The image's own filesystem instead of EROFS; it is mounted through
      // a loop device, which the on-demand rule loads when needed.
      names.erase("erofs");
      on_demand.erase("erofs");
      names.insert("fs-" + o.lowerfs);
    }
    if (o.verity) names.insert("dm-verity");  // with dm-mod, dm-bufio: loaded at start
    requested.assign(names.begin(), names.end());
    modules = resolve_modules(index, requested);
    if (auto alias_text = sys::read_file(o.moddir + "/modules.alias", 64 << 20)) {
      auto aliases = device_aliases(*alias_text, on_demand);
      for (PlannedModule& m : modules.plan)
        if (auto it = aliases.find(normalize_module_name(module_name(m.path))); it != aliases.end())
          m.aliases = it->second;
    } else {
      say("no modules.alias in ", o.moddir, ": every module loads at start");
    }
    for (const std::string& d : o.drivers)
      for (const std::string& m : modules.missing)
        if (m == d) return fail("module", str(d, ": not found in ", o.moddir, " (--drivers)"));
    say(modules.plan.size(), " module files; built in: ",
        modules.builtin.empty() ? "none" : join(modules.builtin),
        "; not available: ", modules.missing.empty() ? "none" : join(modules.missing));
    return {};
  }

  // initramfs-tools' /init is a shell script that ends in klibc's run-init,
  // which refuses to switch unless / is a ramfs or tmpfs.
  static bool init_is_run_init_script(const std::string& tree) {
    std::error_code ec;
    const fs::path init = fs::path(tree) / "init";
    if (!fs::is_regular_file(fs::symlink_status(init, ec)) || fs::file_size(init, ec) > (1 << 20))
      return false;
    auto text = sys::read_file(init.string());
    return text && text->starts_with("#!") && text->find("run-init") != std::string::npos;
  }

  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
  }

  std::string config_text() {
    Config cfg;
    // The pmem placements are partitions to the program: a block device
    // that is the image, here one the kernel makes from memory.
    cfg.placement = info().in_config;
    // DAX maps the pmem directly; dm-verity has to see every read, so a
    // verified image goes through the page cache instead.
    if (info().dax && !verity) cfg.fs_options = "dax=always";
    if (verity) {
      cfg.verity = *verity;
      cfg.verity.on_corruption =
          parse_verity_on_corruption(o.verity_on_corruption).value_or(VerityOnCorruption::eio);
      if (!o.verity_sign_key.empty()) cfg.verity.root_hash_sig = str("/", kRootHashSig);
    }
    cfg.bootfs = bootfs.spec;
    cfg.bootfs_hint = bootfs.hint;
    cfg.bootfstype = bootfs.fstype;
    if (info().image_file_named) cfg.fs = config_fs();
    cfg.fstype = o.lowerfs;
    if (init_is_run_init_script(tree)) {
      cfg.root_layout = RootLayout::tmpfs;
      say("/init switches root with klibc's run-init, which needs a tmpfs root: root_layout tmpfs");
    }
    // udev loads the drivers in systemd mode: no load plan.
    if (o.boot_mode == BootMode::systemd) cfg.modules.clear();
    for (const auto& [k, v] : o.settings) (void)apply_setting(cfg, k, v);
    return format_config(cfg);
  }

  Result<void> build_and_commit() {
    ImageFormat fmt{o.lowerfs, o.image_compression, o.image_level, image_uuid};
    std::string config_used = TRY(check_kernel_reads(o.moddir, o.kver, fmt));
    say(config_used.empty() ? "no kernel config found; not checking that it reads the image"
                            : "kernel config " + config_used + " reads " + fmt.compression + " EROFS");

    const std::string image_final = o.output_dir + "/" + o.image_name;
    const std::string mini_final = o.output_dir + "/" + o.initramfs_name;
    for (const std::string& name : {o.image_name, o.initramfs_name})
      if (size_t n = OutputTemps::remove_abandoned(o.output_dir, name))
        say("removed ", n, " temporary ", name, " files of builders that died");
    std::string image_tmp = TRY(temps.create(o.output_dir, o.image_name));
    std::string mini_tmp = TRY(temps.create(o.output_dir, o.initramfs_name));

    if (o.verity && !config_used.empty())
      TRY(check_kernel_verity(config_used, !o.verity_sign_key.empty()));

    say("making the ", fmt.fs, " image");
    TRY(make_image(tree, image_tmp, fmt, o.verbose));
    std::string root_hash_sig;
    if (o.verity) {
      say("appending the dm-verity hash tree (veritysetup)");
      verity = TRY(append_hash_tree(image_tmp, o.verbose));
      if (!o.verity_sign_key.empty()) {
        std::string dir = TRY(scratch.make_dir("sign"));
        root_hash_sig = TRY(sign_root_hash(verity->root_hash, o.verity_sign_key,
                                           o.verity_sign_cert, dir));
      }
    }
    if (uint64_t a = info().size_alignment) {
      uint64_t size = file_size(image_tmp), aligned = (size + a - 1) / a * a;
      if (::truncate(image_tmp.c_str(), static_cast<off_t>(aligned)) != 0)
        return sys_error("truncate", image_tmp);
    }
    {
      UniqueFd fd = TRY(sys::open(image_tmp, O_RDONLY));
      if (::fsync(fd.get()) != 0) return sys_error("fsync", image_tmp);
    }

    MiniInitramfsSpec spec;
    spec.early_cpio = early;
    spec.program = program;
    spec.config_text = config_text();
    spec.kver = o.kver;
    spec.moddir = o.moddir;
    spec.plan = modules.plan;
    spec.compression = o.initramfs_compression;
    if (!root_hash_sig.empty()) spec.extra_files.emplace_back(kRootHashSig, root_hash_sig);
    if (info().appended) {
      spec.appended_image = image_tmp;
      spec.appended_name = o.image_name;
    }
    if (const char* epoch = ::getenv("SOURCE_DATE_EPOCH"))
      spec.mtime = parse_int<uint32_t>(epoch).value_or(0);
    if (o.boot_mode == BootMode::systemd) {
      TRY(make_systemd_mini_initramfs(spec, mini_tmp));
    } else {
      say("making the mini initramfs (", spec.compression, ")");
      std::string cpio = TRY(mini_initramfs_cpio(spec));
      TRY(write_mini_initramfs(spec, cpio, mini_tmp));
    }

    // The image goes first: until the mini initramfs is renamed, the old
    // one (if any) still boots, with an image of the same name. With the
    // image inside the mini initramfs there is no separate file. A signal
    // from here on waits until both names are in place (InterruptsHeld).
    TRY(check_interrupted());
    {
      InterruptsHeld held;
      if (!info().appended) {
        if (::rename(image_tmp.c_str(), image_final.c_str()) != 0)
          return sys_error("rename", image_tmp + " to " + image_final);
        temps.keep(image_tmp);
      }
      if (::rename(mini_tmp.c_str(), mini_final.c_str()) != 0)
        return sys_error("rename", mini_tmp + " to " + mini_final);
      temps.keep(mini_tmp);
    }
    UniqueFd dirfd = TRY(sys::open(o.output_dir, O_RDONLY | O_DIRECTORY));
    if (::fsync(dirfd.get()) != 0) return sys_error("fsync", o.output_dir);
    if (!o.write_partition.empty()) {
      say("writing the image onto ", o.write_partition);
      TRY(write_image_to_partition(image_final, o.write_partition, bootfs.spec, o.lowerfs));
    }
    return {};
  }

  Result<void> make_systemd_mini_initramfs(const MiniInitramfsSpec& mini, const std::string& out) {
    SystemdInitramfsSpec spec;
    spec.early_cpio = mini.early_cpio;
    spec.program = mini.program;
    spec.config_text = mini.config_text;
    spec.kver = o.kver;
    spec.moddir = o.moddir;
    for (const PlannedModule& m : modules.plan) spec.drivers.push_back(module_name(m.path));
    spec.compression = o.initramfs_compression;
    spec.data_dir = TRY(find_systemd_data_dir());
    spec.work_dir = TRY(scratch.make_dir("dracut"));
    spec.reproducible = ::getenv("SOURCE_DATE_EPOCH") != nullptr;
    spec.verbose = o.verbose;
    say("making the mini initramfs with dracut (systemd mode, ", spec.compression, "), units from ",
        spec.data_dir);
    return make_systemd_initramfs(spec, out);
  }

  void summary(double seconds) {
    const std::string image = o.output_dir + "/" + o.image_name;
    const std::string mini = o.output_dir + "/" + o.initramfs_name;
    std::vector<std::string> names;
    for (const PlannedModule& m : modules.plan) names.push_back(module_name(m.path));
    std::printf("initoverlayfs-install: kernel %s\n", o.kver.c_str());
    std::printf("  input           %s\n", input_desc.c_str());
    if (!info().appended)
      std::printf("  image           %s  %s (%s)\n", image.c_str(),
                  human_size(file_size(image)).c_str(), image_kind().c_str());
    else
      std::printf("  image           inside the mini initramfs, as /%s (%s)\n",
                  o.image_name.c_str(), image_kind().c_str());
    std::printf("  mini initramfs  %s  %s (%s, %zu modules%s)\n", mini.c_str(),
                human_size(file_size(mini)).c_str(), o.initramfs_compression.c_str(),
                modules.plan.size(),
                o.boot_mode == BootMode::systemd ? ", systemd mode: dracut with systemd and udev" : "");
    uint64_t region = (file_size(image) + (128u << 20) - 1) / (128u << 20) * (128u << 20);
    std::string copy = o.write_partition.empty()
                           ? str("copy ", image, " onto it (or use --write-partition DEV)")
                           : str(o.write_partition, " written onto it");
    std::fputs(fill_in(info().summary, {{"image", image},
                                        {"device", bootfs.spec},
                                        {"fs", config_fs()},
                                        {"region_mib", std::to_string(region >> 20)},
                                        {"size", std::to_string(file_size(image))},
                                        {"copy", copy}})
                   .c_str(),
               stdout);
    if (verity)
      std::printf("  verity          %s root hash %s, hash tree from byte %llu of the image,\n"
                  "                  on corruption: %s%s\n",
                  verity->hash_algorithm.c_str(), verity->root_hash.c_str(),
                  static_cast<unsigned long long>(verity->hash_offset),
                  o.verity_on_corruption.c_str(),
                  o.verity_sign_key.empty() ? "" : ", root hash signed (PKCS#7)");
    std::printf("  modules         %s\n", names.empty() ? "none" : join(names).c_str());
    if (!modules.builtin.empty())
      std::printf("  built in        %s\n", join(modules.builtin).c_str());
    std::printf("  took            %.1f s\n", seconds);
  }

  const PlacementInfo& info() const { return placement_info(o.placement); }

  std::string image_kind() const {
    if (o.lowerfs == "erofs") return "erofs, " + o.image_compression;
    if (o.lowerfs == "squashfs") return "squashfs, zstd";
    return o.lowerfs;
  }

  std::string config_fs() {
    std::string dir = bootfs.dir;
    while (dir.starts_with('/')) dir.erase(0, 1);
    return dir.empty() ? o.image_name : dir + "/" + o.image_name;
  }

  Result<void> run() {
    if (size_t n = ScratchDir::remove_abandoned())
      say("removed ", n, " scratch directories of builders that died");
    scratch = TRY(ScratchDir::create());
    say("scratch directory ", scratch.path());
    TRY(resolve_kernel());
    TRY(choose_boot_filesystem());
    if (!o.write_partition.empty())
      TRY(check_partition(o.write_partition, bootfs.spec, o.lowerfs));
    TRY(check_interrupted());
    TRY(prepare_input());
    TRY(check_interrupted());
    if (already_converted) return {};
    // run-init needs root_layout tmpfs, whose per-directory overlays only
    // the init mode's release watcher lets go of; systemd's switch root
    // ends that watcher, and the overlays would keep /boot read-only.
    if (o.boot_mode == BootMode::systemd && init_is_run_init_script(tree))
      return fail("--mode systemd",
                  "is refused: the input's /init switches root with klibc's run-init (initramfs-tools); "
                  "systemd mode cannot release the overlays that needs after the switch, which "
                  "would leave /boot read-only in the real system: use --mode init");
    TRY(choose_modules());
    TRY(check_interrupted());
    TRY(build_and_commit());
    return {};
  }
};

}  // namespace
}  // namespace iofs

int main(int argc, char** argv) {
  using namespace iofs;
  auto start = std::chrono::steady_clock::now();
  auto opts = parse_builder_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!opts) {
    std::fprintf(stderr, "initoverlayfs-install: %s\n", opts.error().message().c_str());
    return 2;
  }
  if (opts->mode == Mode::help) {
    std::fputs(builder_usage().c_str(), stdout);
    return 0;
  }
  if (opts->mode == Mode::version) {
    std::printf("initoverlayfs-install %s\n", IOFS_VERSION);
    return 0;
  }
  // The host's defaults go first, so that the command line wins.
  auto host = read_host_config(*opts);
  if (!host) {
    std::fprintf(stderr, "initoverlayfs-install: error: %s\n", host.error().message().c_str());
    return 1;
  }
  if (opts->hook) {
    const char* env = ::getenv("INITOVERLAYFS");
    if (!host->hooks || (env && std::string_view(env) == "no")) {
      std::string why = host->hooks ? "INITOVERLAYFS=no" : "hooks no in " + opts->config_file;
      std::printf("initoverlayfs-install: hooks are switched off (%s); not converting\n", why.c_str());
      return 0;
    }
  }
  if (!host->args.empty()) {
    const std::string config_file = opts->config_file;
    std::vector<std::string> args = host->args;
    args.insert(args.end(), argv + 1, argv + argc);
    opts = parse_builder_options(args);
    if (!opts) {
      std::fprintf(stderr, "initoverlayfs-install: %s (with the defaults of %s)\n",
                   opts.error().message().c_str(), config_file.c_str());
      return 2;
    }
  }
  install_interrupt_handlers();
  int rc = 0;
  {
    Builder b{*opts};
    if (auto r = b.run(); !r) {
      if (int sig = interrupted_signal())
        std::fprintf(stderr, "initoverlayfs-install: error: interrupted by SIG%s; "
                     "nothing installed, removing the temporary files\n", sigabbrev_np(sig));
      else
        std::fprintf(stderr, "initoverlayfs-install: error: %s\n", r.error().message().c_str());
      rc = 1;
    } else if (!b.already_converted) {
      b.summary(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      if (int sig = interrupted_signal())
        std::fprintf(stderr, "initoverlayfs-install: SIG%s arrived after the new pair was "
                     "renamed into place; it is complete\n", sigabbrev_np(sig));
    }
  }  // the scratch directory and uncommitted outputs are removed here
  if (int sig = interrupted_signal()) {
    // Die of the signal, as the caller (a shell, dpkg) expects.
    std::fflush(nullptr);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return 128 + sig;
  }
  return rc;
}
