#include "builder/mini_initramfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <archive.h>
#include <zstd.h>

#include <map>

#include "builder/cpio.h"
#include "builder/elf_check.h"
#include "builder/module_file.h"
#include "builder/spawn.h"
#include "builder/target_arch.h"
#include "core/version.h"
#include "core/strings.h"
#include "core/sys.h"
#include "init/rescue_shell.h"

namespace iofs {

namespace {

// The modules every boot loads: those without device aliases that nothing
// depends on, and all they depend on.
std::vector<bool> loaded_at_start(const std::vector<PlannedModule>& plan) {
  std::vector<bool> needed_by_other(plan.size(), false), start(plan.size(), false);
  for (const PlannedModule& m : plan) {
    for (size_t d : m.deps) needed_by_other[d] = true;
    for (size_t d : m.after) needed_by_other[d] = true;
  }
  // Dependencies come before their users, so one backwards pass suffices.
  for (size_t i = plan.size(); i-- > 0;) {
    if (plan[i].aliases.empty() && !needed_by_other[i]) start[i] = true;
    if (!start[i]) continue;
    for (size_t d : plan[i].deps) start[d] = true;
    for (size_t d : plan[i].after) start[d] = true;
  }
  return start;
}

}  // namespace

Result<void> check_rescue_busybox(std::string_view busybox, const std::string& path,
                                  std::string_view program) {
  auto refuse = [&](const std::string& why) {
    return fail("--rescue-shell:", str(path, " ", why, "; give a static busybox (Debian: "
                                       "busybox-static) with --rescue-busybox PATH"));
  };
  auto elf = read_elf_program(busybox);
  if (!elf) return refuse(str("is not a program the kernel can run (", elf.error().detail, ")"));
  if (elf->interpreter)
    return refuse(str("is dynamically linked (its loader is ", *elf->interpreter,
                      ") and the mini initramfs has no shared libraries"));
  auto init = read_elf_program(program);
  const Machine busybox_for{elf->machine, elf->is_64bit, elf->big_endian};
  if (init && Machine{init->machine, init->is_64bit, init->big_endian} != busybox_for)
    return refuse(str("is for ", describe_machine(busybox_for), ", the early-boot program for ",
                      describe_machine({init->machine, init->is_64bit, init->big_endian})));
  return {};
}

Result<std::string> mini_initramfs_cpio(const MiniInitramfsSpec& spec) {
  // name -> entry; std::map keeps the archive sorted, so parents come
  // before their children and the bytes do not depend on insertion order.
  std::map<std::string, CpioEntry> entries;
  auto dir = [&](const std::string& name) {
    for (size_t i = 0; i <= name.size(); ++i)
      if (i == name.size() || name[i] == '/')
        entries.try_emplace(name.substr(0, i),
                            CpioEntry{.name = name.substr(0, i), .mode = S_IFDIR | 0755, .nlink = 2});
  };
  auto file = [&](const std::string& name, std::string data, uint32_t mode) {
    if (size_t slash = name.rfind('/'); slash != std::string::npos) dir(name.substr(0, slash));
    entries[name] = CpioEntry{.name = name, .mode = S_IFREG | mode, .data = std::move(data)};
  };
  for (const char* d : {"dev", "proc", "sys", "run", "etc", "sysroot"}) dir(d);
  entries["dev/console"] = CpioEntry{.name = "dev/console", .mode = S_IFCHR | 0600,
                                     .rdevmajor = 5, .rdevminor = 1};
  std::string program = TRY(sys::read_file(spec.program, 64 << 20));
  // The kernel would refuse every module, or never run /init, if the two
  // were for different machines: the builder picked the program for the
  // modules (kernel.h), and checks each module that goes in.
  std::optional<Machine> program_for;
  if (!spec.plan.empty()) program_for = TRY(program_machine(program, spec.program));
  if (!spec.rescue_busybox.empty()) {
    auto busybox = sys::read_file(spec.rescue_busybox, 64 << 20);
    if (!busybox)
      return fail("--rescue-shell:", str(busybox.error().message(),
                                         " (Debian: apt install busybox-static; or "
                                         "--rescue-busybox PATH)"));
    TRY(check_rescue_busybox(*busybox, spec.rescue_busybox, program));
    // Where the early-boot program looks for them.
    static_assert(std::string_view(kRescueBusybox) == "/bin/busybox" &&
                  std::string_view(kRescueShell) == "/bin/sh");
    file("bin/busybox", std::move(*busybox), 0755);
    auto link = [&](std::string_view name) {
      std::string path = str("bin/", name);
      entries[path] = CpioEntry{.name = path, .mode = S_IFLNK | 0777, .data = "busybox"};
    };
    link("sh");
    for (std::string_view applet : kRescueApplets) link(applet);
  }
  file("init", std::move(program), 0755);
  file("etc/initoverlayfs.conf", spec.config_text, 0644);
  for (const auto& [name, data] : spec.extra_files) file(name, data, 0644);
  file(std::string(kMiniInitramfsMarker), str("initoverlayfs-install ", kVersion, "\n"), 0644);
  if (!spec.plan.empty()) {
    std::vector<PlannedModule> stored = spec.plan;
    const std::vector<bool> at_start = loaded_at_start(spec.plan);
    const std::string base = "lib/modules/" + spec.kver + "/";
    for (size_t i = 0; i < stored.size(); ++i) {
      PlannedModule& m = stored[i];
      const std::string path = spec.moddir + "/" + m.path;
      std::string data = TRY(sys::read_file(path, 256 << 20));
      if (spec.decompress_modules && at_start[i] && is_compressed_module(m.path)) {
        data = TRY(decompress_module(data, path));
        m.path.erase(m.path.rfind(".ko") + 3);
      }
      const Machine module_for = TRY(module_machine(TRY(module_object_head(data, m.path)), path));
      if (module_for != *program_for)
        return fail("refusing the early-boot program",
                    str(spec.program, ": it is for ", describe_machine(*program_for), ", but ",
                        path, " is for ", describe_machine(module_for),
                        ", whose kernel could not run it"));
      file(base + m.path, std::move(data), 0644);
    }
    file("etc/initoverlayfs.modules", format_load_plan(stored), 0644);
  }
  std::string out;
  CpioWriter w(out);
  for (auto& [name, e] : entries) {
    e.mtime = spec.mtime;
    w.add(e);
  }
  w.finish();
  return out;
}

namespace {

Result<std::string> zstd_compress(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  // Level 19 as Debian's mkinitramfs uses; decompression speed does not
  // depend on the level. Checksummed so the kernel catches a bad copy.
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 19);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  size_t n = ZSTD_compress2(cctx, out.data(), out.size(), in.data(), in.size());
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(n)) return fail("zstd compress", ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

// The external compressors, with the options the kernel's decompressors
// need: xz with CRC32 checks (the kernel's xz has no CRC64/SHA-256), lz4 in
// the legacy frame format.
std::vector<std::string> compressor_argv(const std::string& algo) {
  if (algo == "gzip") return {"gzip", "-n", "-9", "-c"};
  if (algo == "xz") return {"xz", "--check=crc32", "-9", "-c"};
  if (algo == "lz4") return {"lz4", "-l", "-12", "-c"};
  return {};
}

}  // namespace

bool is_mini_initramfs(const InitramfsParts& parts) {
  for (std::string_view archive : parts.archives)
    for (const CpioEntry& e : cpio_entries(archive))
      if (e.name == kMiniInitramfsMarker || e.name == str("/", kMiniInitramfsMarker)) return true;
  return false;
}

Result<void> write_mini_initramfs(const MiniInitramfsSpec& spec, const std::string& cpio,
                                  const std::string& out) {
  UniqueFd fd = TRY(sys::open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644));
  TRY(sys::write_all(fd.get(), spec.early_cpio, out));
  if (spec.compression == "none") {
    TRY(sys::write_all(fd.get(), cpio, out));
  } else if (spec.compression == "zstd") {
    TRY(sys::write_all(fd.get(), TRY(zstd_compress(cpio)), out));
  } else {
    // The cpio goes in through a pipe and the compressed stream straight
    // into `out` after the early archives: no side files.
    TRY(run_program(compressor_argv(spec.compression), {.stdout_fd = fd.get(), .stdin_data = cpio}));
    if (::lseek(fd.get(), 0, SEEK_END) < 0) return sys_error("seek", out);
  }
  TRY(append_image_archive(spec, fd.get(), out));
  if (::fsync(fd.get()) != 0) return sys_error("fsync", out);
  return {};
}

Result<void> append_image_archive(const MiniInitramfsSpec& spec, int fd, const std::string& out) {
  if (spec.appended_image.empty()) return {};
  // The kernel looks for the next archive at a 4-byte boundary, skipping
  // zeros (init/initramfs.c: unpack_to_rootfs()).
  off_t end = ::lseek(fd, 0, SEEK_END);
  if (end < 0) return sys_error("seek", out);
  TRY(sys::write_all(fd, std::string((4 - end % 4) % 4, '\0'), out));
  // The image is copied, not read into memory: the cpio header is
  // written for its size, then its bytes, padding and the trailer.
  UniqueFd image = TRY(sys::open(spec.appended_image, O_RDONLY));
  struct stat st;
  if (::fstat(image.get(), &st) != 0) return sys_error("stat", spec.appended_image);
  if (static_cast<uint64_t>(st.st_size) > UINT32_MAX)
    return fail("append image", spec.appended_image + ": larger than a cpio entry can be (4 GiB)");
  const auto size = static_cast<uint32_t>(st.st_size);
  std::string head, tail;
  CpioWriter(head).add_header(
      CpioEntry{.name = spec.appended_name, .mode = S_IFREG | 0444, .mtime = spec.mtime}, size);
  CpioWriter t(tail);
  t.pad_data(size);
  t.finish();
  TRY(sys::write_all(fd, head, out));
  TRY(sys::copy_fd(image.get(), fd, out));
  TRY(sys::write_all(fd, tail, out));
  return {};
}

}  // namespace iofs
