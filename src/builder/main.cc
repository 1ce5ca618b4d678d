// initoverlayfs-install: splits an initramfs into a mini initramfs (the
// early-boot program, its config, the storage modules) and an EROFS image
// of the whole initial filesystem, written as a pair into /boot.
//
// main parses the options and the host's defaults, then runs the passes
// in order, each a function of its own file that takes and returns plain
// structs (build.h); a signal stops the build between passes.
#include <signal.h>
#include <string.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "builder/boot_target.h"
#include "builder/build.h"
#include "builder/build_image.h"
#include "builder/build_mini.h"
#include "builder/commit.h"
#include "builder/host_config.h"
#include "builder/input.h"
#include "builder/inspect.h"
#include "builder/interrupt.h"
#include "builder/kernel.h"
#include "builder/module_plan.h"
#include "builder/options.h"
#include "builder/say.h"
#include "builder/scratch.h"
#include "builder/summary.h"
#include "builder/uki.h"
#include "core/version.h"

namespace iofs {
namespace {

// The scratch directory and the temporary outputs are the caller's: they
// are removed when it is done with them, after the summary. `o` becomes the
// options the build followed: the placement may be the boot target's.
Result<void> build(BuilderOptions& o, ScratchDir& scratch, OutputTemps& temps, Build& b) {
  Say say{o.verbose};
  if (size_t n = ScratchDir::remove_abandoned())
    say("removed ", n, " scratch directories of builders that died");
  scratch = TRY(ScratchDir::create());
  say("scratch directory ", scratch.path());

  // 1. Kernel and program: which kernel, its modules, our /init binary.
  b.kernel = TRY(resolve_kernel(o));
  // 2. Boot filesystem: where the image will be read from at boot.
  b.target = TRY(choose_boot_target(o));
  if (b.target.placement != o.placement) {
    o = with_placement(o, b.target.placement);
    TRY(check_builder_options(o));
  }
  TRY(check_interrupted());
  // 3. Input: a tree to turn into the image (extracted from an initramfs,
  //    a directory, or a fresh one made by dracut / mkinitramfs).
  b.input = TRY(read_input(o, b.kernel, scratch));
  if (b.input.already_converted)
    std::printf("initoverlayfs-install: %s is already a mini initramfs made by "
                "initoverlayfs-install; nothing to do\n", b.input.file.c_str());
  TRY(check_interrupted());
  if (b.input.already_converted) return {};
  TRY(check_input_for_mode(o, b.input));
  // 4. Modules: the closure of the storage drivers for the placement.
  b.modules = TRY(plan_modules(o, b.kernel, b.target, b.input));
  for (const std::string& w : b.modules.warnings)
    std::fprintf(stderr, "initoverlayfs-install: warning: %s\n", w.c_str());
  TRY(check_interrupted());
  // 5. Image: mkfs.erofs, under a temporary name. The kernel is checked
  //    before anything is written to the output directory.
  ImageFormat fmt = image_format(o, b.target);
  std::string kernel_config = TRY(check_kernel_for_image(o, b.kernel, fmt));
  b.outputs = TRY(create_outputs(temps, o, b.kernel, b.target));
  fmt.uuid = b.outputs.image_uuid;
  b.image = TRY(build_image(o, b.input.tree, fmt, kernel_config, scratch, b.outputs.image_tmp));
  // 6. Mini initramfs: cpio + compression, under a temporary name.
  TRY(build_mini_initramfs(o, b, scratch));
  // 6b. UKI (--uki): systemd-stub around the kernel and that mini
  //     initramfs, signed, under a temporary name beside its final one.
  if (!o.uki.empty())
    TRY(build_uki(TRY(uki_spec(o, b.kernel.kver, b.outputs.mini_tmp)), b.outputs.uki_tmp, scratch.path()));
  // 7. Commit: the image under its new name, then the mini initramfs over
  //    the old one, then the earlier images removed.
  TRY(commit_outputs(temps, b.outputs, o, b.target, b.kernel));
  return {};
}

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
    std::printf("initoverlayfs-install %s\n", kVersion);
    return 0;
  }
  if (opts->mode == Mode::inspect) return run_inspect(opts->inspect_file);
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
  if (opts->mode == Mode::prune) {
    if (auto r = prune_images(*opts); !r) {
      std::fprintf(stderr, "initoverlayfs-install: error: %s\n", r.error().message().c_str());
      return 1;
    }
    return 0;
  }
  install_interrupt_handlers();
  int rc = 0;
  {
    OutputTemps temps;   // the two outputs, until renamed into place
    ScratchDir scratch;  // everything else the build makes on the side
    Build b;
    if (auto r = build(*opts, scratch, temps, b); !r) {
      if (int sig = interrupted_signal())
        std::fprintf(stderr, "initoverlayfs-install: error: interrupted by SIG%s; "
                     "nothing installed, removing the temporary files\n", sigabbrev_np(sig));
      else
        std::fprintf(stderr, "initoverlayfs-install: error: %s\n", r.error().message().c_str());
      rc = 1;
      // From a hook, a kernel update must not fail for it: nothing was
      // replaced, so the initramfs the hook was given still boots.
      if (opts->hook && !interrupted_signal()) {
        std::fprintf(stderr, "initoverlayfs-install: --hook: not converted; %s stays as it was\n",
                     opts->initramfs.empty() ? "the initramfs" : opts->initramfs.c_str());
        rc = 0;
      }
    } else if (!b.input.already_converted) {
      print_summary(*opts, b,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
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
