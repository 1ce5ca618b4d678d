#include "init/service_mode.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <optional>

#include "core/cmdline.h"
#include "core/config.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/sys.h"
#include "core/uevent_socket.h"
#include "core/version.h"
#include "init/boot_config.h"
#include "init/device_finder.h"
#include "init/handover.h"
#include "init/image_layers.h"
#include "init/mounts.h"
#include "init/root_layout.h"
#include "init/systemd_bus.h"

namespace iofs {

std::string udev_encode(std::string_view s) {
  // Length of the valid UTF-8 sequence starting at s[i], or 0.
  auto utf8_length = [&](size_t i) -> size_t {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    if (c >= 0xf5 || n == 0 || i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
    return n;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (size_t n = static_cast<unsigned char>(c) >= 0x80 ? utf8_length(i) : 0; n > 1) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               std::strchr("#+-.:=@_", c) != nullptr) {
      out += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    }
  }
  return out;
}

std::string udev_link_dir(DeviceKey key) {
  switch (key) {
    case DeviceKey::uuid: return "/dev/disk/by-uuid";
    case DeviceKey::label: return "/dev/disk/by-label";
    case DeviceKey::partuuid: return "/dev/disk/by-partuuid";
    case DeviceKey::partlabel: return "/dev/disk/by-partlabel";
    case DeviceKey::path: return {};
  }
  return {};
}

std::string udev_link_path(const DeviceSpec& spec) {
  if (spec.key == DeviceKey::path) return spec.value;
  return udev_link_dir(spec.key) + "/" + udev_encode(spec.value);
}

namespace {

// The block device the spec names, if udev has made its link (or, for a
// /dev path, if the node exists).
std::optional<std::string> look_up(const DeviceSpec& spec) {
  auto block_device = [](const std::string& path) -> std::optional<std::string> {
    char resolved[PATH_MAX];
    struct stat st;
    if (!::realpath(path.c_str(), resolved) || ::stat(resolved, &st) != 0 || !S_ISBLK(st.st_mode))
      return std::nullopt;
    return std::string(resolved);
  };
  if (spec.key == DeviceKey::path) return block_device(spec.value);
  if (auto dev = block_device(udev_link_path(spec))) return dev;
  const std::string dir = udev_link_dir(spec.key);
  if (spec.key != DeviceKey::uuid && spec.key != DeviceKey::partuuid) return std::nullopt;
  // UUIDs match without regard to case; the link has the case blkid read.
  DIR* d = ::opendir(dir.c_str());
  if (!d) return std::nullopt;
  std::optional<std::string> found;
  while (struct dirent* e = ::readdir(d))
    if (e->d_name[0] != '.' && spec.matches(e->d_name) && (found = block_device(dir + "/" + e->d_name)))
      break;
  ::closedir(d);
  return found;
}

// What udev has linked, for the error when the device never comes.
std::string links_seen(const DeviceSpec& spec) {
  const std::string dir = spec.key == DeviceKey::path ? "/dev/disk/by-uuid" : udev_link_dir(spec.key);
  std::string s;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (struct dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') s += str(s.empty() ? "" : ", ", e->d_name);
    ::closedir(d);
  }
  return str(dir, ": ", s.empty() ? "none" : s);
}

Result<std::string> wait_for_udev_link(const DeviceSpec& spec, std::chrono::milliseconds timeout) {
  const int64_t deadline = sys::boottime_ns() + timeout.count() * 1000000;
  // Subscribe before looking, so a device udev finishes in between is seen.
  // udev's messages are not read: each one only means "look again".
  auto sock = open_uevent_socket(UeventGroup::udev);
  if (!sock) log::warning(sock.error().message(), "; checking once a second instead");
  char buf[8192];
  for (;;) {
    if (auto dev = look_up(spec)) return *dev;
    int64_t left_ms = (deadline - sys::boottime_ns()) / 1000000;
    if (left_ms <= 0) break;
    if (!sock) {
      ::usleep(static_cast<useconds_t>(std::min<int64_t>(left_ms, 1000)) * 1000);
      continue;
    }
    struct pollfd p {sock->get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left_ms));
    if (n < 0 && errno != EINTR) return sys_error("poll", "udev netlink monitor");
    // Drain: every queued event is covered by the one look that follows
    // (ENOBUFS, events lost, is covered the same way).
    while (::recv(sock->get(), buf, sizeof buf, 0) >= 0 || errno == ENOBUFS) {
    }
  }
  return fail("boot filesystem", str(spec.to_string(), " not found within ", timeout.count(),
                                     " ms; udev links in ", links_seen(spec)));
}

struct Service {
  int64_t start_ns = sys::boottime_ns();
  Config cfg;
  int64_t device_ms = 0, mount_ms = 0;

  // The init mode's configuration: the file, then initoverlayfs.* on the
  // kernel command line. rdinit= is not a candidate here: it named the
  // mini initramfs's own init (systemd).
  Result<void> read_config() {
    TRY(read_boot_config(cfg));
    // Never an unverified mount of an image that is to be verified.
    if (cfg.verity.enabled)
      return fail("verity is required, but systemd mode does not set up dm-verity yet;",
                  "refusing to mount the image (use init mode)");
    return {};
  }


  Result<std::string> find_boot_device() {
    int64_t t0 = sys::boottime_ns();
    DeviceSpec spec = TRY(parse_device_spec(cfg.bootfs));
    std::string dev = TRY(wait_for_udev_link(spec, cfg.timeout));
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
    if (cfg.placement == Placement::bootfs && cfg.bootfstype.empty())
      boot_dev.fstype = probe_filesystem_type(dev);
    MountedLayers m = TRY(iofs::mount_layers(cfg, boot_dev));
    mount_ms = sys::ms_since(t0);
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

  // The next init, in the init mode's order, checked inside the new root
  // now: a missing one fails this unit with a clear message instead of
  // systemd's switch-root failing after it has torn the initramfs down.
  Result<std::string> choose_next_init() {
    UniqueFd root = TRY(sys::open(paths::kNewRoot, O_PATH | O_DIRECTORY));
    std::string tried;
    for (const std::string& path : init_candidates(cfg.init, "")) {
      // As seen from inside the new root: absolute symlinks, such as a
      // dracut initramfs's /init -> /usr/lib/systemd/systemd, resolve there.
      auto fd = sys::openat2(root.get(), path, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      struct stat st;
      int err = !fd ? fd.error().err
                : ::fstat(fd->get(), &st) != 0 ? errno
                : !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0 ? EACCES
                : 0;
      if (err == 0) return path;
      tried += str(tried.empty() ? "" : ", ", path, " (", std::strerror(err), ")");
    }
    return fail("no init could be run in the new root;", str("tried ", tried));
  }

  Result<void> write_switch_root_env(const std::string& init) {
    TRY(sys::make_dirs(paths::kStage));
    const std::string tmp = str(kSwitchRootEnv, ".tmp");
    {
      UniqueFd fd = TRY(sys::open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644));
      TRY(sys::write_all(fd.get(),
                         str("INITOVERLAYFS_NEW_ROOT=", paths::kNewRoot, "\nINITOVERLAYFS_INIT=",
                             init, "\n"),
                         tmp));
    }
    if (::rename(tmp.c_str(), kSwitchRootEnv) != 0) return sys_error("rename", tmp);
    return {};
  }

  Result<void> run() {
    log::info("initoverlayfs ", kVersion, " started ", start_ns / 1000000,
              " ms after boot (systemd service mode)");
    TRY(read_config());
    std::string dev;
    if (cfg.placement != Placement::initrd) dev = TRY(find_boot_device());
    TRY(mount_layers(dev));
    std::string init = TRY(choose_next_init());
    TRY(write_switch_root_env(init));
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
  std::string root, init;
  auto text = sys::read_file(kSwitchRootEnv);
  if (!text) {
    log::error(text.error().message(), "; pre-initoverlayfs.service did not finish");
    return 1;
  }
  for (std::string_view line : split_lines(*text)) {
    if (line.starts_with("INITOVERLAYFS_NEW_ROOT=")) root = line.substr(23);
    if (line.starts_with("INITOVERLAYFS_INIT=")) init = line.substr(19);
  }
  if (root.empty() || init.empty()) {
    log::error(kSwitchRootEnv, ": no INITOVERLAYFS_NEW_ROOT or INITOVERLAYFS_INIT");
    return 1;
  }
  log::info("switch: asking systemd to switch root to ", root, " and execute ", init);
  if (auto r = request_switch_root("/run/systemd/private", root, init); !r) {
    log::error(r.error().message());
    return 1;
  }
  return 0;
}

}  // namespace iofs
