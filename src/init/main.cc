// initoverlayfs: the /init of a mini initramfs.
//
// Runs as PID 1, turns an EROFS image on the boot filesystem into the root
// of the initial filesystem under a volatile tmpfs overlay, and hands over
// to that filesystem's own init as if the kernel had started it. It never
// exits: a failed step ends in the configured failure action.
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <optional>
#include <cstring>
#include <memory>
#include <thread>

#include "core/cmdline.h"
#include "core/config.h"
#include "core/device_spec.h"
#include "core/load_plan.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/sys.h"
#include "core/uevent_socket.h"
#include "core/version.h"
#include "init/boot_config.h"
#include "init/device_finder.h"
#include "init/dm_verity.h"
#include "init/handover.h"
#include "init/image_layers.h"
#include "init/module_loader.h"
#include "init/mounts.h"
#include "core/next_init.h"
#include "init/release_watcher.h"
#include "init/rescue_shell.h"
#include "init/root_layout.h"
#include "init/service_mode.h"
#include "init/switch_root.h"

namespace iofs {
namespace {

// Whether the environment (the kernel command line's NAME=VALUE words for
// PID 1) has NAME set to exactly VALUE.
bool env_is(const char* name, std::string_view value) {
  const char* v = ::getenv(name);
  return v && value == v;
}

// PID 1 must not die: an exception nothing caught (std::bad_alloc,
// std::system_error from starting a thread; the module threads catch their
// own, module_loader.h) ends in the failure action like any other fault,
// with what it said.
std::atomic<FailureAction> g_failure_action{FailureAction::halt};

std::string current_exception_text() {
  try {
    if (std::exception_ptr e = std::current_exception()) std::rethrow_exception(e);
    return "std::terminate called without an exception";
  } catch (const std::exception& e) {
    return str("uncaught exception: ", e.what());
  } catch (...) {
    return "uncaught exception of unknown type";
  }
}

[[noreturn]] void fail_on_terminate() {
  take_failure_action(Error{"PID 1", current_exception_text()}, g_failure_action.load());
}

struct Boot {
  char** argv;
  char** envp;
  int64_t start_ns = sys::boottime_ns();
  Config cfg;
  std::string rdinit;
  ModuleCmdline module_cmdline;  // the command line's module words (step 2)
  const std::string moddir = "/lib/modules/" + sys::kernel_release();
  std::vector<PlannedModule> plan;
  std::unique_ptr<ModuleLoader> loader;
  std::string module_failures;  // for the device error, if it comes to that
  std::optional<Error> modules_stuck;  // the loop driver did not load in time
  std::vector<UniqueFd> overlays;  // root_layout tmpfs, for the release watcher
  const bool throw_in_module_thread = env_is("INITOVERLAYFS_TEST_THROW", "module-thread");
  const bool hang_in_module_thread = env_is("INITOVERLAYFS_TEST_HANG", "module-thread");
  int64_t modules_ms = 0, device_ms = 0, mount_ms = 0, switch_ms = 0;

  // Step 2: /etc/initoverlayfs.conf, then initoverlayfs.* on the kernel
  // command line. Only a missing boot filesystem or image name is fatal.
  Result<void> read_config() { return read_boot_config(cfg, &rdinit, &module_cmdline); }


  // Step 3: the builder's module load plan. What every boot needs
  // (filesystems, explicit drivers) starts loading now, on worker threads;
  // storage drivers with device aliases are requested while the device wait
  // sees devices that match them (step 4).
  Result<void> start_loading_modules() {
    if (cfg.modules.empty() || !sys::exists(cfg.modules)) {
      log::debug("no module load plan at '", cfg.modules, "', loading nothing");
      return {};
    }
    std::string text = TRY(sys::read_file(cfg.modules));
    auto parsed = parse_load_plan(text);
    if (!parsed)
      return fail("read module load plan", str(cfg.modules, ": ", parsed.error().detail));
    plan = std::move(*parsed);
    if (plan.empty()) return {};
    // MODULE.PARAM=VALUE and modprobe.blacklist=, which modprobe would
    // have taken from the command line for the modules it loads (read in
    // step 2).
    apply_module_cmdline(plan, module_cmdline);
    unsigned workers = std::max(1u, std::thread::hardware_concurrency());
    loader = std::make_unique<ModuleLoader>(
        plan,
        [this](const PlannedModule& m) {
          // Test seam (tests/namespace/fail_module_thread_throws.sh): a
          // module thread that throws, as std::thread or an allocation may.
          if (throw_in_module_thread) throw std::runtime_error("test seam: a module thread threw");
          // Test seam (tests/namespace/fail_module_never_loads.sh): a load
          // that never returns, as finit_module does when a driver's probe
          // hangs.
          while (hang_in_module_thread) std::this_thread::sleep_for(std::chrono::hours(1));
          return finit_module_file(moddir, m);
        },
        workers);
    loader->request_unconditional();
    return {};
  }

  // Waits, at most cfg.module_timeout, for what was requested so far.
  Result<void> wait_for_modules() {
    if (loader->wait_idle_for(cfg.module_timeout)) return {};
    std::string pending;
    for (const std::string& m : loader->unfinished()) pending += str(pending.empty() ? "" : ", ", m);
    // A thread stuck in finit_module cannot be cancelled, and the loader's
    // destructor joins its threads: PID 1 would hang there instead of
    // taking the failure action. So the loader is let go without being
    // destroyed; the threads keep only it and this Boot (which lives until
    // take_failure_action, which never returns) in use.
    (void)loader.release();
    return fail("modules", str("not loaded within ", cfg.module_timeout.count(),
                               " ms (module_timeout): ", pending));
  }

  // Waits for every requested module, then reports. A module that fails is
  // not fatal by itself: its device may still appear (built-in driver), and
  // if it does not, the device error names the failed modules. One that
  // does not finish in time is.
  Result<void> finish_loading_modules() {
    if (!loader) return {};
    TRY(wait_for_modules());
    modules_ms = loader->busy_ns() / 1000000;
    auto outcomes = loader->outcomes();
    size_t loaded = 0;
    for (size_t i = 0; i < plan.size(); ++i) {
      const PlannedModule& m = plan[i];
      const ModuleOutcome& o = outcomes[i];
      if (o.err < 0) continue;  // never requested: no such device
      if (o.err == 0) {
        ++loaded;
        log::debug("loaded ", m.path, " in ", o.load_ns / 1000, " us");
        continue;
      }
      module_failures += str(module_failures.empty() ? "" : ", ", module_name(m.path));
      if (o.err == ECANCELED)
        log::error("module ", module_name(m.path), " not loaded: a dependency failed");
      else
        log::error(Error{"load module", str(moddir, "/", m.path), o.err}.message());
    }
    log::info("modules: ", loaded, " of ", loader->requested(), " loaded in ", modules_ms,
              " ms (", plan.size() - loader->requested(), " in the plan not needed here)");
    return {};
  }

  // The loop driver, for a kernel that cannot mount the image file
  // directly: asked for by the name its /dev node has in modules.alias.
  // A timeout is kept for run(), this being a callback of mount_layers.
  void load_loop_driver() {
    if (!loader || loader->request_for_device("devname:loop-control") == 0) return;
    int64_t t0 = sys::boottime_ns();
    if (auto waited = wait_for_modules(); !waited) {
      modules_stuck = waited.error();
      return;
    }
    const auto outcomes = loader->outcomes();
    for (size_t i = 0; i < plan.size(); ++i)
      if (matches_device(plan[i], "devname:loop-control")) {
        int err = outcomes[i].err;
        if (err != 0) log::error(Error{"load module", str(moddir, "/", plan[i].path), err}.message());
      }
    log::info("modules: loop driver loaded in ", sys::ms_since(t0), " ms, ",
              cfg.verity.enabled ? "for dm-verity over the image file" : "for the loop-device fallback");
  }

  // Step 4.
  Result<FoundDevice> find_boot_device() {
    int64_t t0 = sys::boottime_ns();
    DeviceSpec spec = TRY(parse_device_spec(cfg.bootfs));
    ModaliasFn on_modalias;
    if (loader)
      on_modalias = [this](std::string_view alias) {
        if (loader->request_for_device(alias) > 0) log::debug("device ", alias, " wants a driver");
      };
    // Subscribed before the wait first looks, so that no device is missed.
    // A burst of events at driver probe time must not overflow the queue.
    auto uevents = open_uevent_socket(UeventGroup::kernel, 1 << 20);
    if (!uevents)
      log::warning(uevents.error().message(), "; only devices present now will be found");
    auto found = wait_for_device(spec, cfg.bootfs_hint, cfg.timeout,
                                 uevents ? std::move(*uevents) : UniqueFd(), on_modalias);
    device_ms = sys::ms_since(t0);
    if (!found) {
      Error e = found.error();
      if (auto finished = finish_loading_modules(); !finished)
        e.detail += str("; ", finished.error().message());
      if (!module_failures.empty())
        e.detail += str("; modules that failed to load: ", module_failures);
      return std::unexpected(e);
    }
    log::info("device: ", cfg.bootfs, " is ", found->devnode,
              found->fstype.empty() ? "" : str(" (", found->fstype, ")"), ", found in ",
              device_ms, " ms");
    return found;
  }

  // Steps 5-8: image, overlay (or tmpfs root with overlays), then the
  // staging mounts let go so only the new root holds the image.
  Result<void> mount_layers(const FoundDevice* dev) {
    int64_t t0 = sys::boottime_ns();
    BootDevice boot_dev;
    if (dev) boot_dev = {dev->devnode, dev->fstype};
    MountedLayers m = TRY(iofs::mount_layers(cfg, boot_dev, [this] { load_loop_driver(); }));
    for (const Error& e : m.staging_left) log::warning(e.message());
    overlays = std::move(m.root.overlays);
    mount_ms = sys::ms_since(t0);
    if (m.image.deferred_removal_refused)
      log::warning(m.image.deferred_removal_refused->message(), "; it stays after the initrd");
    if (m.image.how == ImageAttach::verity)
      log::info("verity: ", describe_verity(m.shown, cfg.verity, m.image));
    if (m.root.volatile_refused)
      log::info("overlay refused 'volatile' (", m.root.volatile_refused->message(),
                "), retrying without");
    std::string how = describe_image(cfg, m.image);
    if (cfg.root_layout == RootLayout::tmpfs)
      log::info("mount: ", m.shown, " (", how, ") under a tmpfs root with ", overlays.size(),
                m.root.is_volatile ? " volatile" : "", " overlays and ", m.root.copied,
                " top-level files in ", mount_ms, " ms");
    else
      log::info("mount: ", m.shown, " (", how, ") under a ",
                m.root.is_volatile ? "volatile " : "", "tmpfs overlay in ", mount_ms, " ms");
    return {};
  }

  // Before the switch: what the switch and the exec need, checked in the
  // new root, so that a failure still finds the initramfs intact.
  Result<std::string> check_new_root() {
    TRY(prepare_mount_points(paths::kNewRoot));
    NextInit next = TRY(choose_next_init(paths::kNewRoot, init_candidates(cfg.init, rdinit)));
    // rdinit= usually names the mini initramfs's own init, so its absence
    // from the image is normal; a configured init that cannot run is not.
    if (!cfg.init.empty() && next.path != cfg.init)
      log::warning("init: the configured ", cfg.init, " cannot run; falling back");
    log::info("init: ", next.path, " (", init_choice_reason(next.path, cfg.init, rdinit),
              next.skipped.empty() ? "" : str("; cannot run: ", next.skipped), ")");
    return next.path;
  }

  // Step 9.
  Result<void> enter_new_root() {
    loader.reset();  // no module threads may outlive this: fork and exec follow
    int64_t t0 = sys::boottime_ns();
    SwitchedRoot switched = TRY(switch_root(paths::kNewRoot));
    for (const Error& e : switched.not_moved)
      log::warning(e.message(), "; detaching it instead");
    if (switched.cleanup_failure)
      log::warning(switched.cleanup_failure->message(), "; the old initramfs stays in memory");
    if (auto w = start_release_watcher(std::move(overlays)); !w)
      log::warning(w.error().message(), "; the initrd's overlays stay mounted after it");
    switch_ms = sys::ms_since(t0);
    log::info("switch: root is the ", to_string(cfg.root_layout), " in ", switch_ms, " ms",
              switched.cleanup == OldRootCleanup::started
                  ? ", freeing the old initramfs in the background"
                  : "");
    return {};
  }

  Result<void> run() {
    // Step 1: nothing works without these; kmsg needs /dev.
    auto api = mount_api_filesystems();
    if (!log::open_kmsg()) log::use_stderr();
    TRY(std::move(api));
    log::info("initoverlayfs ", kVersion, " started ", start_ns / 1000000,
              " ms after boot");
    TRY(read_config());
    g_failure_action = cfg.onfailure.value_or(default_failure_action());
    TRY(start_loading_modules());
    std::optional<FoundDevice> dev;
    if (placement_info(cfg.placement).device != ImageDevice::none) dev = TRY(find_boot_device());
    TRY(finish_loading_modules());
    if (std::string fault = loader ? loader->fault() : ""; !fault.empty())
      return fail("module thread", str("exception in loading ", fault));
    auto mounted = mount_layers(dev ? &*dev : nullptr);
    if (modules_stuck) {  // the cause of whatever the mount did next
      if (!mounted) modules_stuck->detail += str("; then ", mounted.error().message());
      return std::unexpected(*modules_stuck);
    }
    TRY(std::move(mounted));
    // systemd-stub's credentials and extensions are for the image's initrd
    // (root_layout.h); without them it boots as if none were given.
    carry_stub_extras_into(paths::kNewRoot);
    TRY(set_failure_context(paths::kNewRoot));  // the failure shell: the image's (rescue_shell.h)
    // The break shell first: the checks then see what it left in the new root.
    break_if_asked(cfg.break_at, paths::kNewRoot);
    std::string init = TRY(check_new_root());
    TRY(enter_new_root());
    log::info("ready in ", sys::ms_since(start_ns), " ms (modules ", modules_ms, " ms, device ",
              device_ms, " ms, mount ", mount_ms, " ms, switch ", switch_ms, " ms)");
    // Step 10: returns only if the init checked before the switch did not run.
    return std::unexpected(exec_next_init(init, argv, envp));
  }
};

void usage() {
  std::printf(
      "Usage: initoverlayfs [--version | --systemd | --systemd-switch-root]\n"
      "The /init of an initoverlayfs mini initramfs, as PID 1; with --systemd,\n"
      "the mounts of pre-initoverlayfs.service in a mini initramfs running systemd,\n"
      "with --systemd-switch-root the switch of pre-initoverlayfs-switch-root.service.\n"
      "Configuration: %s and initoverlayfs.<key>=<value> on the kernel command line.\n",
      kConfigPath);
}

}  // namespace
}  // namespace iofs

// Read by initoverlayfs-install --inspect (builder/inspect.h); kept through
// --gc-sections although nothing refers to it.
__attribute__((used, retain)) static const char kEarlyBootVersion[] =
    IOFS_EARLY_BOOT_VERSION_TAG IOFS_VERSION;

int main(int argc, char** argv, char** envp) {
  using namespace iofs;
  // As PID 1 the arguments are the kernel's leftovers for the next init, so
  // they are never read as options here.
  if (::getpid() == 1) {
    g_failure_action = default_failure_action();
    std::set_terminate(fail_on_terminate);
    Boot boot{argv, envp};
    Error error;
    try {
      error = boot.run().error();
    } catch (...) {
      error = Error{"PID 1", current_exception_text()};
    }
    take_failure_action(error, boot.cfg.onfailure.value_or(default_failure_action()));
  }
  if (argc == 2 && std::strcmp(argv[1], "--systemd") == 0) return run_service_mode();
  if (argc == 2 && std::strcmp(argv[1], "--systemd-switch-root") == 0) return run_switch_root_request();
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("initoverlayfs %s\n", kVersion);
    return 0;
  }
  usage();
  return argc > 1 && std::strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
