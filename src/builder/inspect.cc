#include "builder/inspect.h"

#include <blkid/blkid.h>
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "builder/bootfs.h"
#include "builder/config_text.h"
#include "builder/cpio.h"
#include "builder/elf_check.h"
#include "builder/initramfs_input.h"
#include "builder/mapped_file.h"
#include "builder/pe.h"
#include "builder/mini_initramfs.h"
#include "builder/scratch.h"
#include "builder/spawn.h"
#include "core/erofs_superblock.h"
#include "core/human.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

namespace {

// "./etc/x", "/etc/x" and "etc/x" are one name (dracut's cpio, ours).
std::string_view entry_name(std::string_view name) {
  if (name.starts_with("./")) name.remove_prefix(2);
  while (name.starts_with('/')) name.remove_prefix(1);
  return name;
}

std::string first_line(std::string_view s) {
  return std::string(trim(s.substr(0, s.find('\n'))));
}

// The version the early-boot program carries, or "" if it has none.
std::string version_in(std::string_view program) {
  size_t at = program.find(kEarlyBootVersionTag);
  if (at == std::string_view::npos) return "";
  std::string_view rest = program.substr(at + kEarlyBootVersionTag.size());
  return std::string(rest.substr(0, std::min(rest.find('\0'), size_t{64})));
}

std::string short_module_name(std::string_view path) {
  path = path.substr(path.rfind('/') + 1);
  return std::string(path.substr(0, path.find(".ko")));
}

}  // namespace

Result<MiniInspection> inspect_mini_initramfs(std::string_view file_bytes) {
  InitramfsParts parts = TRY(split_initramfs(file_bytes));
  MiniInspection in;
  in.compression = parts.compression;
  in.early_bytes = parts.early.size();
  std::string_view init_program, sbin_program;
  // Entries by name, the last one winning, as the kernel's unpacker does.
  std::vector<CpioEntry> entries;
  for (std::string_view archive : parts.archives) {
    in.unpacked_bytes += archive.size();
    for (CpioEntry& e : cpio_entries(archive)) entries.push_back(std::move(e));
  }
  if (entries.empty()) return fail("read initramfs", "no cpio entry in it");
  in.files = entries.size();
  auto regular = [](const CpioEntry& e) { return (e.mode & S_IFMT) == S_IFREG; };
  for (const CpioEntry& e : entries) {
    std::string_view name = entry_name(e.name);
    if (name == kMiniInitramfsMarker) {
      in.is_mini = true;
      in.made_by = first_line(e.data);
    } else if (name == "etc/initoverlayfs.conf" && regular(e)) {
      in.has_config = true;
      in.config_text = e.data;
    } else if (name == "etc/initoverlayfs.modules" && regular(e)) {
      in.has_plan = true;
      auto plan = parse_load_plan(e.data);
      if (plan) in.plan = std::move(*plan), in.plan_problem.clear();
      else in.plan_problem = plan.error().message();
    } else if (name == kRootHashSigPath) {
      in.has_root_hash_sig = true;
    } else if (name.ends_with("systemd/system/pre-initoverlayfs.service")) {
      in.systemd_mode = true;
    } else if (name == "init" && regular(e)) {
      init_program = e.data;
    } else if (name == "usr/sbin/initoverlayfs" && regular(e)) {
      sbin_program = e.data;
    }
  }
  if (in.has_config) {
    parse_config(in.config_text, in.config, in.config_warnings);
    if (in.config.placement == Placement::initrd) {
      for (const CpioEntry& e : entries)
        if (entry_name(e.name) == entry_name(in.config.fs) && regular(e)) {
          in.has_appended_image = true;
          in.appended_image = e.data;
        }
    }
  }
  std::string_view program = in.systemd_mode ? sbin_program : init_program;
  in.program = in.systemd_mode ? "/usr/sbin/initoverlayfs" : "/init";
  if (!program.empty()) {
    in.program_version = version_in(program);
    if (auto elf = read_elf_program(program)) {
      in.program_machine = elf_machine_name(elf->machine);
      in.program_static = !elf->interpreter;
    }
  }
  return in;
}

ImageVerdict check_image(const Config& cfg, std::string_view start, uint64_t size) {
  ImageVerdict v;
  v.facts.push_back(human_size(size));
  if (cfg.fstype != "erofs") {
    v.facts.push_back(str(cfg.fstype, " (only EROFS images are checked further)"));
    v.ok = true;
    return v;
  }
  auto sb = parse_erofs_superblock(start);
  if (!sb) {
    v.problem = str("it is not an EROFS image (", sb.error().detail, ")");
    return v;
  }
  const std::string uuid = sb->uuid_string();
  v.facts.push_back(str("EROFS, UUID ", uuid));
  if (!cfg.fs_uuid.empty() && canonical_uuid(cfg.fs_uuid).value_or(cfg.fs_uuid) != uuid) {
    v.problem = str("its EROFS UUID is ", uuid, ", the mini initramfs expects ", cfg.fs_uuid,
                    ": it is another image, not the one built with this mini initramfs");
    return v;
  }
  const uint64_t data_end = cfg.verity.enabled ? cfg.verity.hash_offset : size;
  if (cfg.verity.enabled && size <= data_end) {
    v.problem = str("it is ", size, " bytes and has no hash tree: verity expects one from byte ",
                    data_end, " on (cut short)");
    return v;
  }
  if (sb->bytes() > std::min(size, data_end)) {
    v.problem = str("it is cut short: ", std::min(size, data_end), " bytes of EROFS data, its superblock says ",
                    sb->bytes());
    return v;
  }
  v.facts.push_back("as long as its superblock says");
  if (cfg.verity.enabled) v.facts.push_back(str("hash tree from byte ", data_end));
  v.ok = true;
  return v;
}

namespace {

// veritysetup verify over the whole image: every data and hash block.
// Returns "" when it matches, else why not.
std::string verity_verify(const VerityConfig& v, const std::string& image) {
  std::vector<std::string> argv = {"veritysetup", "verify", "--no-superblock",
                                   str("--hash-offset=", v.hash_offset),
                                   str("--data-blocks=", v.data_blocks),
                                   str("--data-block-size=", v.data_block_size),
                                   str("--hash-block-size=", v.hash_block_size),
                                   str("--hash=", v.hash_algorithm)};
  if (v.salt != "-") argv.push_back(str("--salt=", v.salt));
  argv.insert(argv.end(), {image, image, v.root_hash});
  auto ran = run_program(argv, {.quiet = true, .quiet_stderr = true});
  return ran ? "" : "veritysetup verify: the hash tree does not give the configured root hash "
                    "(a block of the image or of its tree has changed)";
}

std::string default_file() {
  const std::string kver = sys::kernel_release();
  for (std::string f : {str("/boot/initrd.img-", kver), str("/boot/initramfs-", kver, ".img")})
    if (sys::exists(f)) return f;
  return str("/boot/initrd.img-", kver);
}

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The device a bootfs spec names now (libblkid), or "".
std::string device_named(const std::string& spec) {
  char* dev = blkid_evaluate_spec(spec.c_str(), nullptr);
  std::string out = dev ? dev : "";
  std::free(dev);
  return out;
}

std::string real_or_same(const std::string& path) {
  char* r = realpath(path.c_str(), nullptr);
  std::string out = r ? r : path;
  std::free(r);
  return out;
}

}  // namespace

std::string bootfs_image_path(const std::string& file, const std::string& fs,
                              const std::string& bootfs_dev, std::string_view mountinfo) {
  if (!bootfs_dev.empty()) {
    std::string dev = real_or_same(bootfs_dev);
    for (const MountEntry& m : parse_mountinfo(mountinfo)) {
      if (m.root != "/" || !m.source.starts_with('/') || real_or_same(m.source) != dev) continue;
      return (m.mountpoint == "/" ? "" : m.mountpoint) + (fs.starts_with('/') ? "" : "/") + fs;
    }
  }
  return dir_of(file) + "/" + fs.substr(fs.rfind('/') + 1);
}

int run_inspect(std::string file) {
  if (file.empty()) file = default_file();
  auto mapped = MappedFile::open(file);
  if (!mapped) {
    std::printf("%s: %s\n", file.c_str(), mapped.error().message().c_str());
    return 1;
  }
  std::string_view bytes = mapped->view();
  // A unified kernel image (uki.h): its mini initramfs is its .initrd.
  if (bytes.starts_with("MZ")) {
    auto pe = read_pe(bytes);
    auto initrd = pe ? pe_section_data(*pe, bytes, ".initrd") : std::nullopt;
    if (!initrd) {
      std::printf("%s: a PE file, not a unified kernel image with an initrd (%s)\n", file.c_str(),
                  pe ? "no .initrd section" : pe.error().detail.c_str());
      return 3;
    }
    auto section_text = [&](const char* name) {
      auto t = pe_section_data(*pe, bytes, name);
      return t ? std::string(trim(*t)) : std::string("(none)");
    };
    std::printf("%s: unified kernel image, %s, kernel %s\n", file.c_str(), human_size(bytes.size()).c_str(),
                section_text(".uname").c_str());
    std::printf("  command line: %s\n", section_text(".cmdline").c_str());
    std::printf("  its .initrd section (%s) is the file inspected below\n", human_size(initrd->size()).c_str());
    bytes = *initrd;
  }
  auto got = inspect_mini_initramfs(bytes);
  if (!got) {
    std::printf("%s: not an initramfs: %s\n", file.c_str(), got.error().message().c_str());
    return 3;
  }
  const MiniInspection& in = *got;
  if (!in.is_mini) {
    std::printf("%s: not a mini initramfs (no /%s): a classic initramfs, %s, %zu files, %s unpacked\n",
                file.c_str(), kMiniInitramfsMarker.data(), in.compression.c_str(), in.files,
                human_size(in.unpacked_bytes).c_str());
    return 3;
  }
  std::printf("%s: mini initramfs, made by %s\n", file.c_str(), in.made_by.c_str());
  std::printf("  %s (%s%s), %zu files, %s unpacked\n", human_size(bytes.size()).c_str(),
              in.compression.c_str(),
              in.early_bytes ? str(", ", human_size(in.early_bytes), " of early archives in front").c_str() : "",
              in.files, human_size(in.unpacked_bytes).c_str());
  std::printf("  mode %s: the early-boot program is %s\n", in.systemd_mode ? "systemd" : "init",
              in.systemd_mode ? "/usr/sbin/initoverlayfs, started by pre-initoverlayfs.service" : "/init");
  std::printf("early-boot program: %s\n",
              in.program_machine.empty()
                  ? str(in.program, " missing or not an ELF executable").c_str()
                  : str("initoverlayfs ", in.program_version.empty() ? "(version unknown: older than 0.1.0)" : in.program_version,
                        ", ", in.program_machine, in.program_static ? ", static" : ", dynamically linked").c_str());
  int rc = 0;
  auto problem = [&](const std::string& why) {
    std::printf("result: PROBLEM: %s\n", why.c_str());
    rc = 1;
  };
  if (!in.has_config) {
    problem("no /etc/initoverlayfs.conf: the early-boot program has nothing to mount");
    return rc;
  }
  std::printf("configuration (/etc/initoverlayfs.conf):\n");
  for (std::string_view line : split_lines(in.config_text))
    if (!trim(line).empty() && !trim(line).starts_with('#')) std::printf("  %.*s\n", int(line.size()), line.data());
  for (const std::string& w : in.config_warnings) std::printf("  warning: %s\n", w.c_str());
  if (in.has_plan && in.plan_problem.empty()) {
    // As the early-boot program loads them (load_plan.h): a module with
    // aliases for a device present, one nothing depends on at start, the
    // others when a module that needs them loads.
    std::vector<bool> needed(in.plan.size());
    for (const PlannedModule& m : in.plan) {
      for (size_t d : m.deps) needed[d] = true;
      for (size_t d : m.after) needed[d] = true;
    }
    std::vector<std::string> at_start, on_demand, deps;
    for (size_t i = 0; i < in.plan.size(); ++i) {
      const PlannedModule& m = in.plan[i];
      (!m.aliases.empty() ? on_demand : needed[i] ? deps : at_start).push_back(short_module_name(m.path));
    }
    std::printf("modules: %zu in the load plan\n", in.plan.size());
    std::printf("  at start (%zu): %s\n", at_start.size(), join_words(at_start).c_str());
    std::printf("  on demand, for a device present (%zu): %s\n", on_demand.size(), join_words(on_demand).c_str());
    std::printf("  as dependencies (%zu): %s\n", deps.size(), join_words(deps).c_str());
  } else if (in.has_plan) {
    std::printf("modules: the load plan does not parse: %s\n", in.plan_problem.c_str());
  } else {
    std::printf("modules: no load plan (the kernel has what it needs built in)\n");
  }
  const Config& cfg = in.config;
  if (cfg.verity.enabled)
    std::printf("verity: root hash %s (%s), on corruption %s\n", cfg.verity.root_hash.c_str(),
                in.has_root_hash_sig ? "signed: /etc/initoverlayfs.roothash.p7s" : "not signed",
                to_string(cfg.verity.on_corruption).data());

  // Where the image is, and its bytes or file.
  std::string where, path;
  std::string_view start;
  uint64_t size = 0;
  MappedFile image_map;
  std::string image_file;  // for veritysetup verify
  switch (cfg.placement) {
    case Placement::initrd:
      where = str("inside this file, as /", entry_name(cfg.fs));
      if (!in.has_appended_image) {
        std::printf("image: %s\n", where.c_str());
        problem(str("this mini initramfs does not hold /", entry_name(cfg.fs)));
        return rc;
      }
      start = in.appended_image;
      size = in.appended_image.size();
      break;
    case Placement::partition:
      path = device_named(cfg.bootfs);
      where = str("the partition ", cfg.bootfs, path.empty() ? "" : str(" (", path, ")"));
      if (path.empty()) {
        std::printf("image: %s\n", where.c_str());
        problem(str("no device is ", cfg.bootfs, " on this machine"));
        return rc;
      }
      break;
    default: {
      auto mountinfo = sys::read_file("/proc/self/mountinfo");
      path = bootfs_image_path(file, std::string(cfg.fs), device_named(cfg.bootfs),
                               mountinfo ? *mountinfo : std::string());
      where = str(path, " (", cfg.fs, " on ", cfg.bootfs, ")");
      break;
    }
  }
  std::printf("image: %s\n", where.c_str());
  if (!path.empty()) {
    auto m = MappedFile::open(path);
    if (!m) {
      problem(m.error().err == ENOENT
                  ? str("the image is missing: no ", path, "; this pair does not boot (rebuild it, "
                        "e.g. update-initramfs -u or dracut -f, or restore the image)")
                  : str("cannot read the image: ", m.error().message()));
      return rc;
    }
    image_map = std::move(*m);
    start = image_map.view();
    size = start.size();
    image_file = path;
  }
  ImageVerdict v = check_image(cfg, start, size);
  std::string facts;
  for (const std::string& f : v.facts) facts += (facts.empty() ? "" : "; ") + f;
  std::printf("  present: %s\n", facts.c_str());
  if (!v.ok) {
    problem(v.problem);
    return rc;
  }
  if (cfg.verity.enabled) {
    if (!program_exists("veritysetup")) {
      std::printf("  verity: not checked block by block (veritysetup not found: install cryptsetup-bin)\n");
    } else {
      if (image_file.empty()) {
        // The image inside the initramfs: veritysetup reads a file.
        auto scratch = ScratchDir::create();
        auto fd = scratch ? scratch->create_file("image") : Result<UniqueFd>(std::unexpected(scratch.error()));
        if (!fd || !sys::write_all(fd->get(), start, "the image's copy")) {
          problem("verity: cannot write a copy of the image to check it");
          return rc;
        }
        image_file = scratch->path() + "/image";
        if (std::string why = verity_verify(cfg.verity, image_file); !why.empty()) {
          problem(why);
          return rc;
        }
      } else if (std::string why = verity_verify(cfg.verity, image_file); !why.empty()) {
        problem(why);
        return rc;
      }
      std::printf("  verity: every block matches the root hash (veritysetup verify)\n");
    }
  }
  std::printf("result: OK: the image is the one this mini initramfs was built with\n");
  return rc;
}

}  // namespace iofs
