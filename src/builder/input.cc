#include "builder/input.h"

#include <stdlib.h>

#include <cerrno>
#include <filesystem>

#include "builder/initramfs_input.h"
#include "builder/mapped_file.h"
#include "builder/mini_initramfs.h"
#include "builder/say.h"
#include "builder/spawn.h"
#include "builder/unpack_limit.h"
#include "core/next_init.h"
#include "core/human.h"
#include "core/strings.h"
#include "core/sys.h"

namespace fs = std::filesystem;

namespace iofs {
namespace {

bool init_is_run_init_script(const std::string& tree) {
  std::error_code ec;
  const fs::path init = fs::path(tree) / "init";
  if (!fs::is_regular_file(fs::symlink_status(init, ec)) || fs::file_size(init, ec) > (1 << 20))
    return false;
  auto text = sys::read_file(init.string());
  return text && text->starts_with("#!") && text->find("run-init") != std::string::npos;
}

Result<std::string> generate_initramfs(const BuilderOptions& o, const KernelChoice& k,
                                       const ScratchDir& scratch) {
  Say say{o.verbose};
  std::string dir = TRY(scratch.make_dir("generated"));
  std::string out = dir + "/initramfs.img";
  if (program_exists("dracut")) {
    say("running dracut for ", k.kver);
    // --kmoddir so that a kernel unpacked elsewhere (--moddir) works too.
    std::vector<std::string> argv = {"dracut", "--force", "--kver", k.kver, "--kmoddir", k.moddir};
    argv.insert(argv.end(), o.dracut_args.begin(), o.dracut_args.end());  // --dracut
    argv.push_back(out);
    // Debian 13's dracut (dracut-ng 106, unlike 059) runs the hooks in
    // /etc/initramfs/post-update.d/ after writing any initramfs, this
    // scratch file too: our own hook would convert it before it is read
    // (and it would then be refused as a mini initramfs), systemd-boot's
    // would install it on the ESP. dracut skips them with this set.
    const bool had_no_hooks = ::getenv("NO_POST_UPDATE_HOOKS") != nullptr;
    ::setenv("NO_POST_UPDATE_HOOKS", "1", 1);
    auto ran = run_program(argv, {.quiet = !o.verbose});
    if (!had_no_hooks) ::unsetenv("NO_POST_UPDATE_HOOKS");
    TRY(std::move(ran));
  } else if (program_exists("mkinitramfs")) {
    say("running mkinitramfs for ", k.kver);
    TRY(run_program({"mkinitramfs", "-o", out, k.kver}, {.quiet = !o.verbose}));
  } else {
    return fail("no input", "give --initramfs or --rootdir, or install dracut or initramfs-tools");
  }
  return out;
}

}  // namespace

Result<InputTree> read_input(const BuilderOptions& o, const KernelChoice& kernel,
                             const ScratchDir& scratch) {
  Say say{o.verbose};
  InputTree in;
  if (!o.rootdir.empty()) {
    if (!fs::is_directory(o.rootdir)) return fail("input", o.rootdir + ": not a directory");
    in.tree = o.rootdir;
    in.description = "directory " + o.rootdir;
    in.init_is_run_init_script = init_is_run_init_script(in.tree);
    return in;
  }
  std::string file = o.initramfs;
  if (file.empty()) file = TRY(generate_initramfs(o, kernel, scratch));
  say("reading ", file);
  MappedFile input = TRY(MappedFile::open(file));
  const uint64_t input_bytes = input.view().size();
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
  in.tree = TRY(scratch.make_dir("tree"));
  auto unpacked = unpack_initramfs(input.view(), in.tree, {.max_unpacked = limit,
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
    return InputTree{.already_converted = true, .file = file};
  }
  in.early = unpacked->early;
  const ExtractStats& total = unpacked->stats;
  in.description = str(file, " (", human_size(input_bytes), ", ", unpacked->compression,
                       in.early.empty() ? "" : str(", early cpio ", human_size(in.early.size())), ")");
  say("extracted ", total.files, " files, ", total.dirs, " directories, ", total.symlinks,
      " symlinks, ", total.devices, " device nodes (", human_size(unpacked->unpacked_bytes),
      " of cpio) into ", in.tree);
  in.init_is_run_init_script = init_is_run_init_script(in.tree);
  return in;
}

Result<void> check_input_for_mode(const BuilderOptions& o, const InputTree& input) {
  // systemd's switch root ends the release watcher, and the overlays would
  // keep /boot read-only.
  if (o.boot_mode == BootMode::systemd && input.init_is_run_init_script)
    return fail("--mode systemd",
                "is refused: the input's /init switches root with klibc's run-init (initramfs-tools); "
                "systemd mode cannot release the overlays that needs after the switch, which "
                "would leave /boot read-only in the real system: use --mode init");
  // The early-boot program refuses, before switching, an image whose init
  // cannot run; checked here first with the same rules, so that such a
  // pair is never written. rdinit= is the kernel command line's, unknown
  // here. Test seam: tests/boot/failures_612.sh builds such a pair on
  // purpose, to see the boot refuse it.
  if (const char* allow = ::getenv("INITOVERLAYFS_TEST_ALLOW_NO_INIT"); allow && *allow == '1')
    return {};
  std::string configured;
  for (const auto& [k, v] : o.settings)
    if (k == "init") configured = v;
  if (auto init = choose_next_init(input.tree, init_candidates(configured, "")); !init)
    return fail("the image would have no init:",
                str(init.error().detail, "; a pair without one cannot boot (--set init=PATH names another)"));
  return {};
}

}  // namespace iofs
