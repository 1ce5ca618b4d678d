#include "builder/build_mini.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "builder/config_text.h"
#include "builder/mini_initramfs.h"
#include "builder/say.h"
#include "builder/systemd_initramfs.h"
#include "core/placement.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

Result<void> make_systemd_mini_initramfs(const BuilderOptions& o, const MiniInitramfsSpec& mini,
                                         const ScratchDir& scratch, const std::string& out) {
  SystemdInitramfsSpec spec;
  spec.early_cpio = mini.early_cpio;
  spec.program = mini.program;
  spec.config_text = mini.config_text;
  spec.kver = mini.kver;
  spec.moddir = mini.moddir;
  for (const PlannedModule& m : mini.plan) spec.drivers.push_back(module_name(m.path));
  for (const auto& [path, data] : mini.extra_files)
    if (path == kRootHashSigPath) spec.root_hash_sig = data;
  spec.compression = mini.compression;
  spec.data_dir = TRY(find_systemd_data_dir());
  spec.work_dir = TRY(scratch.make_dir("dracut"));
  spec.reproducible = ::getenv("SOURCE_DATE_EPOCH") != nullptr;
  spec.verbose = o.verbose;
  Say{o.verbose}("making the mini initramfs with dracut (systemd mode, ", spec.compression,
                 "), units from ", spec.data_dir);
  TRY(make_systemd_initramfs(spec, out));
  if (mini.appended_image.empty()) return {};
  UniqueFd fd = TRY(sys::open(out, O_WRONLY | O_APPEND));
  TRY(append_image_archive(mini, fd.get(), out));
  if (::fsync(fd.get()) != 0) return sys_error("fsync", out);
  return {};
}

}  // namespace

Result<void> build_mini_initramfs(const BuilderOptions& o, const Build& in,
                                  const ScratchDir& scratch) {
  const std::string& mini_tmp = in.outputs.mini_tmp;
  MiniInitramfsSpec spec;
  spec.early_cpio = in.input.early;
  spec.program = in.kernel.program;
  spec.config_text = config_text(o, in.target, in.outputs.image_name, in.input, in.image);
  spec.kver = in.kernel.kver;
  spec.moddir = in.kernel.moddir;
  spec.plan = in.modules.closure.plan;
  spec.compression = o.initramfs_compression;
  spec.rescue_busybox = o.rescue_busybox;
  if (!in.image.root_hash_sig.empty())
    spec.extra_files.emplace_back(kRootHashSigPath, in.image.root_hash_sig);
  if (placement_info(o.placement).appended) {
    spec.appended_image = in.outputs.image_tmp;
    spec.appended_name = in.outputs.image_name;
  }
  if (const char* epoch = ::getenv("SOURCE_DATE_EPOCH"))
    spec.mtime = parse_int<uint32_t>(epoch).value_or(0);
  if (o.boot_mode == BootMode::systemd) return make_systemd_mini_initramfs(o, spec, scratch, mini_tmp);
  Say{o.verbose}("making the mini initramfs (", spec.compression, ")",
                 spec.rescue_busybox.empty() ? "" : str(", rescue shell ", spec.rescue_busybox));
  std::string cpio = TRY(mini_initramfs_cpio(spec));
  return write_mini_initramfs(spec, cpio, mini_tmp);
}

}  // namespace iofs
