#include "init/service_mode.h"

#include "core/config.h"
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
#include "init/mounts.h"
#include "core/next_init.h"
#include "init/root_layout.h"
#include "init/switch_root_request.h"
#include "init/systemd_bus.h"
#include "init/udev_link_wait.h"

namespace iofs {
namespace {

struct Service {
  int64_t start_ns = sys::boottime_ns();
  Config cfg;
  int64_t device_ms = 0, mount_ms = 0;

  // The init mode's configuration: the file, then initoverlayfs.* on the
  // kernel command line. With verity the image is mounted through
  // dm-verity as in init mode: the kernel loads dm-mod when the program
  // opens the static /dev/mapper/control node, and dm-verity when the
  // table names its target; dracut put both in (the builder's drivers).
  Result<void> read_config() { return read_boot_config(cfg); }

  Result<std::string> find_boot_device() {
    int64_t t0 = sys::boottime_ns();
    DeviceSpec spec = TRY(parse_device_spec(cfg.bootfs));
    // Subscribed before the wait first looks, so that no device is missed.
    auto udev_events = open_uevent_socket(UeventGroup::udev);
    if (!udev_events)
      log::warning(udev_events.error().message(), "; checking once a second instead");
    std::string dev = TRY(wait_for_udev_link(
        spec, cfg.timeout, udev_events ? std::move(*udev_events) : UniqueFd()));
    device_ms = sys::ms_since(t0);
    log::info("device: ", cfg.bootfs, " is ", dev, " (udev), found in ", device_ms, " ms");
    return dev;
  }

  // The new root as the init mode makes it (image_layers.h), then the
  // staging mounts let go (the overlays hold the layers; /run carries
  // nothing into the system). udev and the kernel's module autoloading
  // (the filesystems' fs-* aliases, /dev/loop-control) load what they need.
  Result<void> mount_layers(const std::string& dev) {
    int64_t t0 = sys::boottime_ns();
    BootDevice boot_dev{dev, {}};
    if (placement_info(cfg.placement).device == ImageDevice::boot_filesystem &&
        cfg.bootfstype.empty())
      boot_dev.fstype = probe_filesystem_type(dev);
    MountedLayers m = TRY(iofs::mount_layers(cfg, boot_dev));
    for (const Error& e : m.staging_left) log::warning(e.message());
    mount_ms = sys::ms_since(t0);
    if (m.image.how == ImageAttach::verity)
      log::info("verity: ", describe_verity(m.shown, cfg.verity, m.image));
    if (m.root.volatile_refused)
      log::info("overlay refused 'volatile' (", m.root.volatile_refused->message(),
                "), retrying without");
    if (cfg.root_layout == RootLayout::tmpfs)
      // Without the init mode's release watcher (systemd ends every process
      // of the initrd when it switches root), these overlays stay mounted.
      log::warning("root_layout tmpfs: the ", m.root.overlays.size(),
                   " per-directory overlays are not released after the switch in systemd mode");
    log::info("mount: ", m.shown, " (", describe_image(cfg, m.image), ") under a ",
              m.root.is_volatile ? "volatile " : "",
              cfg.root_layout == RootLayout::tmpfs ? "tmpfs root with overlays" : "tmpfs overlay",
              " at ", paths::kNewRoot, " in ", mount_ms, " ms");
    return {};
  }

  Result<void> run() {
    log::info("initoverlayfs ", kVersion, " started ", start_ns / 1000000,
              " ms after boot (systemd service mode)");
    TRY(read_config());
    std::string dev;
    if (placement_info(cfg.placement).device != ImageDevice::none) dev = TRY(find_boot_device());
    TRY(mount_layers(dev));
    // systemd-stub's /.extra, as in init mode (root_layout.h): this initrd's
    // systemd has read its credentials already, but the image's initrd, run
    // next, looks in its own root.
    carry_stub_extras_into(paths::kNewRoot);
    // The next init, in the init mode's order, checked inside the new root
    // now (next_init.h). rdinit= is not a candidate here: it named the mini
    // initramfs's own init (systemd).
    NextInit next = TRY(choose_next_init(paths::kNewRoot, init_candidates(cfg.init, "")));
    if (!next.skipped.empty()) log::warning("init: cannot run ", next.skipped);
    const std::string& init = next.path;
    TRY(write_switch_root_request({paths::kNewRoot, init}));
    log::info("ready in ", sys::ms_since(start_ns), " ms (device ", device_ms, " ms, mount ", mount_ms,
              " ms); systemd switches root to ", paths::kNewRoot, " and runs ", init);
    return {};
  }
};

}  // namespace

int run_service_mode() {
  if (!log::open_kmsg()) log::use_stderr();
  Service s;
  if (auto r = s.run(); !r) {
    log::error(r.error().message());
    log::error("failed; pre-initoverlayfs.service fails and systemd's failure handling follows");
    return 1;
  }
  return 0;
}

int run_switch_root_request() {
  if (!log::open_kmsg()) log::use_stderr();
  auto text = sys::read_file(kSwitchRootEnv);
  if (!text) {
    log::error(text.error().message(), "; pre-initoverlayfs.service did not finish");
    return 1;
  }
  auto request = parse_switch_root_request(*text);
  if (!request) {
    log::error(kSwitchRootEnv, ": no INITOVERLAYFS_NEW_ROOT or INITOVERLAYFS_INIT");
    return 1;
  }
  log::info("switch: asking systemd to switch root to ", request->new_root, " and execute ",
            request->init);
  if (auto r = request_switch_root("/run/systemd/private", request->new_root, request->init);
      !r) {
    log::error(r.error().message());
    return 1;
  }
  return 0;
}

}  // namespace iofs
