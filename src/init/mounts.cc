#include "init/mounts.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

namespace {
struct ApiMount {
  const char* source;
  const char* target;
  const char* type;
  unsigned long flags;
  const char* data;
};
// What PID 1 of an initramfs needs before anything else; all are fatal.
constexpr ApiMount kApiMounts[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""},
    {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, ""},
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"},
};
}  // namespace

Result<void> mount_api_filesystems() {
  std::optional<Error> first;
  for (const ApiMount& m : kApiMounts) {
    auto r = sys::make_dir(m.target);
    if (r) r = sys::mount(m.source, m.target, m.type, m.flags, m.data);
    // EBUSY: already there (a kernel that mounts devtmpfs itself).
    if (!r && r.error().err != EBUSY && !first) first = r.error();
  }
  if (first) return std::unexpected(*first);
  return {};
}

MountOptions parse_mount_options(const std::string& options) {
  struct Flag {
    std::string_view name;
    unsigned long set, clear;
  };
  static constexpr Flag kFlags[] = {
      {"ro", MS_RDONLY, 0},       {"rw", 0, MS_RDONLY},
      {"nosuid", MS_NOSUID, 0},   {"nodev", MS_NODEV, 0},
      {"noexec", MS_NOEXEC, 0},   {"noatime", MS_NOATIME, 0},
      {"relatime", MS_RELATIME, 0}, {"defaults", 0, 0},
  };
  MountOptions out;
  size_t pos = 0;
  while (pos <= options.size()) {
    size_t comma = options.find(',', pos);
    if (comma == std::string::npos) comma = options.size();
    std::string_view opt(options.data() + pos, comma - pos);
    pos = comma + 1;
    if (opt.empty()) continue;
    bool known = false;
    for (const Flag& f : kFlags) {
      if (opt != f.name) continue;
      out.flags = (out.flags | f.set) & ~f.clear;
      known = true;
    }
    if (!known) {
      if (!out.data.empty()) out.data += ',';
      out.data += opt;
    }
  }
  return out;
}

Result<void> mount_boot_filesystem(const std::string& devnode,
                                   const std::string& fstype,
                                   const std::string& options) {
  if (fstype.empty())
    return fail("mount boot filesystem",
                str(devnode, ": no filesystem type found; set bootfstype"));
  MountOptions o = parse_mount_options(options);
  TRY(sys::make_dirs(paths::kBoot));
  return sys::mount(devnode, paths::kBoot, fstype, o.flags, o.data);
}

// One LOOP_CONFIGURE call (Linux >= 5.8): read-only, autoclear, direct I/O
// so the image is not cached twice (once by the loop device, once by the
// filesystem holding the image).
Result<std::pair<std::string, UniqueFd>> attach_loop(const std::string& image) {
  UniqueFd control = TRY(sys::open("/dev/loop-control", O_RDWR));
  UniqueFd backing = TRY(sys::open(image, O_RDONLY));
  for (int attempt = 0;; ++attempt) {
    int n = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) return sys_error("get free loop device", "/dev/loop-control");
    std::string dev = str("/dev/loop", n);
    UniqueFd loop = TRY(sys::open(dev, O_RDONLY));
    struct loop_config cfg {};
    cfg.fd = static_cast<__u32>(backing.get());
    cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_DIRECT_IO;
    std::snprintf(reinterpret_cast<char*>(cfg.info.lo_file_name),
                  sizeof cfg.info.lo_file_name, "%s", image.c_str());
    if (::ioctl(loop.get(), LOOP_CONFIGURE, &cfg) == 0) return std::pair{dev, std::move(loop)};
    if (errno == EINVAL) {  // direct I/O refused by the backing filesystem
      cfg.info.lo_flags &= ~LO_FLAGS_DIRECT_IO;
      if (::ioctl(loop.get(), LOOP_CONFIGURE, &cfg) == 0) return std::pair{dev, std::move(loop)};
    }
    // EBUSY: someone took this device between GET_FREE and CONFIGURE.
    if (errno != EBUSY || attempt >= 8)
      return sys_error("configure loop device", str(dev, " for ", image));
  }
}

Result<uint64_t> image_bytes(int fd, const struct stat& st, const std::string& shown_as) {
  if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  uint64_t bytes = 0;
  if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) return sys_error("get size of", shown_as);
  return bytes;
}

std::string lower_mount_data(const std::string& fstype, const std::string& extra) {
  std::string data = fstype == "ext4" ? "noload" : fstype == "btrfs" ? "rescue=nologreplay" : "";
  if (!extra.empty()) data += (data.empty() ? "" : ",") + extra;
  return data;
}

std::string AttachedImage::describe() const {
  switch (how) {
    case ImageAttach::file_backed: return "file-backed";
    case ImageAttach::loop: return "loop device " + loop_device;
    case ImageAttach::block_device: return "block device";
    case ImageAttach::verity:
      return str("dm-verity ", verity_device, " over ",
                 loop_device.empty() ? "the block device" : "loop device " + loop_device);
  }
  return {};
}

Result<AttachedImage> mount_lower_image(const std::string& image,
                                        const std::string& shown_as,
                                        const std::string& fstype,
                                        const std::string& fs_options,
                                        const std::function<void()>& need_loop) {
  struct stat st;
  if (::stat(image.c_str(), &st) != 0) return sys_error("find image", shown_as);
  if (!S_ISREG(st.st_mode)) return fail("find image", str(shown_as, ": not a regular file"));
  TRY(sys::make_dirs(paths::kLower));

  const std::string data = lower_mount_data(fstype, fs_options);
  auto direct = sys::mount(image, paths::kLower, fstype, MS_RDONLY, data);
  if (direct) return AttachedImage{ImageAttach::file_backed, {}};
  // ENOTBLK: this kernel cannot mount a file directly (EROFS before 6.12,
  // or the image lives on tmpfs); util-linux's mount falls back the same way.
  if (direct.error().err != ENOTBLK)
    return fail("mount image", str(shown_as, " (", fstype, ")"), direct.error().err);

  if (need_loop && !sys::exists("/dev/loop-control")) need_loop();
  auto attached = attach_loop(image);
  if (!attached)
    return fail(attached.error().op, str(shown_as, ": ", attached.error().detail),
                attached.error().err);
  auto& [dev, loop] = *attached;
  auto mounted = sys::mount(dev, paths::kLower, fstype, MS_RDONLY, data);
  // Closing `loop` after the mount leaves the mount as the only user, so
  // autoclear detaches the device once the mount is gone (or right away
  // when the mount failed).
  if (!mounted)
    return fail("mount image", str(shown_as, " via ", dev, " (", fstype, ")"),
                mounted.error().err);
  return AttachedImage{ImageAttach::loop, dev};
}

}  // namespace iofs
