#include "builder/bootfs.h"

#include <blkid/blkid.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdlib.h>

#include "core/device_spec.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

// mountinfo and fstab escape space, tab, newline and backslash as \ooo.
static std::string unescape_octal(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        s[i + 1] >= '0' && s[i + 1] <= '7' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
        s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> out;
  for (std::string_view line : split_lines(text)) {
    auto f = split_words(line);
    // id parent maj:min root mountpoint options [optional...] - fstype source superopts
    size_t dash = 0;
    for (size_t i = 6; i < f.size(); ++i)
      if (f[i] == "-") { dash = i; break; }
    if (dash == 0 || dash + 2 >= f.size()) continue;
    out.push_back({unescape_octal(f[3]), unescape_octal(f[4]), std::string(f[dash + 1]),
                   unescape_octal(f[dash + 2])});
  }
  return out;
}

const MountEntry* mount_containing(const std::vector<MountEntry>& mounts,
                                   const std::string& path) {
  const MountEntry* best = nullptr;
  for (const MountEntry& m : mounts) {
    const std::string& mp = m.mountpoint;
    bool inside = path == mp || mp == "/" ||
                  (path.starts_with(mp) && path.size() > mp.size() && path[mp.size()] == '/');
    if (inside && (!best || mp.size() >= best->mountpoint.size())) best = &m;
  }
  return best;
}

std::vector<FstabEntry> parse_fstab(std::string_view text) {
  std::vector<FstabEntry> out;
  for (std::string_view line : split_lines(text)) {
    line = trim(line);
    if (line.empty() || line.starts_with('#')) continue;
    auto f = split_words(line);
    if (f.size() < 2) continue;
    out.push_back({unescape_octal(f[0]), unescape_octal(f[1]),
                   f.size() > 2 ? std::string(f[2]) : "", f.size() > 3 ? std::string(f[3]) : ""});
  }
  return out;
}

std::string path_on_filesystem(const MountEntry& m, const std::string& path) {
  std::string rel = m.mountpoint == "/" ? path : path.substr(m.mountpoint.size());
  std::string joined = (m.root == "/" ? "" : m.root) + rel;
  return joined.empty() ? "/" : joined;
}

std::string blkid_tag(const std::string& dev, const std::string& tag) {
  char* v = blkid_get_tag_value(nullptr, tag.c_str(), dev.c_str());
  std::string out = v ? v : "";
  free(v);
  return out;
}

const FstabEntry* fstab_entry_holding(const std::vector<FstabEntry>& fstab,
                                      const std::string& path) {
  const FstabEntry* best = nullptr;
  size_t best_len = 0;
  for (const FstabEntry& e : fstab) {
    std::string mp = e.mountpoint;
    while (mp.size() > 1 && mp.back() == '/') mp.pop_back();
    if (!mp.starts_with('/')) continue;  // swap, none
    bool inside = path == mp || mp == "/" ||
                  (path.starts_with(mp) && path.size() > mp.size() && path[mp.size()] == '/');
    if (inside && (!best || mp.size() >= best_len)) {
      best = &e;
      best_len = mp.size();
    }
  }
  return best;
}

std::string stacking_kind(bool md, bool dm, std::string_view dm_uuid) {
  if (md) return "md RAID";
  if (!dm) return "";
  // The prefixes LVM and cryptsetup give their device-mapper UUIDs.
  if (dm_uuid.starts_with("LVM-")) return "LVM";
  if (dm_uuid.starts_with("CRYPT-")) return "dm-crypt";
  return "device-mapper";
}

std::string stacking_of(const std::string& devnode, const std::string& class_block) {
  char real[PATH_MAX];
  if (!::realpath(devnode.c_str(), real)) return "";
  std::string name = real;
  name = name.substr(name.rfind('/') + 1);
  std::string dir = class_block + "/" + name;
  // A partition's own directory has no md/ or dm/: its disk's has (sysfs
  // puts the partition's directory inside the disk's).
  char real_dir[PATH_MAX];
  if (sys::exists(dir + "/partition") && ::realpath(dir.c_str(), real_dir)) {
    dir = real_dir;
    dir = dir.substr(0, dir.rfind('/'));
  }
  auto uuid = sys::read_file(dir + "/dm/uuid");
  return stacking_kind(sys::exists(dir + "/md"), sys::exists(dir + "/dm"),
                       uuid ? trim(*uuid) : std::string_view());
}

namespace {

// Whether the mini initramfs can mount the filesystem of mount m (holding
// dir) before the root: not when it is the root filesystem itself (the
// initrd checks the root with fsck and mounts it, perhaps read-write,
// while the image on it would still be in use: e2fsck exits 8 and a
// read-write mount is refused with "would change RO state"), and not when
// it is on a device nothing assembles that early.
void classify_reach(const std::string& dir, const MountEntry& m, BootfsChoice& c) {
  struct stat here{}, root{};
  if (::stat(dir.c_str(), &here) == 0 && ::stat("/", &root) == 0 && here.st_dev == root.st_dev) {
    c.reach = BootfsReach::root_filesystem;
    c.reach_detail = str(dir, " is on the root filesystem (", m.source,
                         "), which the initrd checks and mounts while the image on it would be in use");
    return;
  }
  // Test seam (tests/boot/builder_layouts.sh): this machine's kernel may
  // have neither md nor device-mapper, so a test gives a loop device the
  // sysfs entries of one.
  const char* class_block = ::getenv("INITOVERLAYFS_TEST_SYS_CLASS_BLOCK");
  if (std::string kind = stacking_of(m.source, class_block ? class_block : "/sys/class/block");
      !kind.empty()) {
    c.reach = BootfsReach::stacked;
    c.reach_detail = str(dir, " is on ", m.source, " (", kind,
                         "), which the mini initramfs cannot assemble");
  }
}

// A /dev path only udev makes (/dev/disk/by-id/..., by-path/...) does not
// exist when the early-boot program runs in init mode, without udev: it is
// replaced by the UUID of the device it names now. (by-uuid, by-label and
// the partition ones are their tags already: device_spec.h.)
Result<DeviceSpec> without_udev_links(DeviceSpec spec) {
  if (spec.key != DeviceKey::path || !spec.value.starts_with("/dev/disk/")) return spec;
  char real[PATH_MAX];
  if (!::realpath(spec.value.c_str(), real)) return sys_error("resolve", spec.value);
  std::string uuid = blkid_tag(real, "UUID");
  if (uuid.empty())
    return fail("find the boot filesystem:",
                str(spec.value, " is a link udev makes, and ", real,
                    " has no UUID to find it by without udev; name it with --bootfs"));
  return DeviceSpec{DeviceKey::uuid, uuid};
}

std::string normalise_mountpoint(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

Result<BootfsChoice> choose_bootfs(const std::string& output_dir, const std::string& bootfs,
                                   const std::string& bootfstype,
                                   const std::string& bootfs_path) {
  char real[PATH_MAX];
  if (!::realpath(output_dir.c_str(), real)) return sys_error("resolve", output_dir);
  const std::string dir = real;
  std::string mountinfo = TRY(sys::read_file("/proc/self/mountinfo"));
  auto mounts = parse_mountinfo(mountinfo);
  const MountEntry* m = mount_containing(mounts, dir);
  if (!m)
    return fail("find the filesystem holding",
                str(dir, ": no mount of this mount table holds it (a chroot whose root is "
                         "not a mount point?); run where /boot is mounted, or name it with --bootfs"));

  BootfsChoice c;
  c.fstype = bootfstype;
  const bool on_device = m->source.starts_with("/dev/");
  if (!bootfs.empty()) {
    DeviceSpec spec = TRY(without_udev_links(TRY(parse_device_spec(bootfs))));
    c.spec = spec.to_string();
    // Is the output directory on that very filesystem? Then the image's
    // path on it follows from the mount; otherwise the directory is taken
    // to be the root of a boot filesystem being prepared (a disk image).
    bool same = false;
    if (on_device) {
      same = spec.key == DeviceKey::path ? spec.value == m->source
                                         : spec.matches(blkid_tag(m->source, std::string(spec.blkid_tag())));
    }
    if (same) {
      classify_reach(dir, *m, c);
      c.dir = path_on_filesystem(*m, dir);
      c.hint = m->source;
      if (c.fstype.empty()) c.fstype = m->fstype;
      c.reason = str(c.spec, " is mounted at ", m->mountpoint);
    } else {
      c.dir = "/";
      c.reason = str(c.spec, " is not the filesystem holding ", dir,
                     ", so that directory is taken as its root");
    }
  } else {
    std::vector<FstabEntry> fstab;
    if (auto text = sys::read_file("/etc/fstab")) fstab = parse_fstab(*text);
    const FstabEntry* e = fstab_entry_holding(fstab, dir);
    // fstab mounts a filesystem of its own there, but this is not it: in a
    // chroot or an image being built, the image would go onto the
    // directory the real /boot is later mounted over.
    if (e && normalise_mountpoint(e->mountpoint).size() > m->mountpoint.size())
      return fail("find the boot filesystem:",
                  str("/etc/fstab mounts ", e->spec, " at ", normalise_mountpoint(e->mountpoint),
                      ", but it is not mounted here (a chroot or an image being built?); "
                      "convert on the running system, or mount it first"));
    if (!on_device)
      return fail("find the boot filesystem:",
                  str(dir, " is on ", m->source, " (", m->fstype,
                      "), not a block device; name it with --bootfs"));
    c.dir = path_on_filesystem(*m, dir);
    c.hint = m->source;
    if (c.fstype.empty()) c.fstype = m->fstype;
    if (e && normalise_mountpoint(e->mountpoint) == m->mountpoint) {
      if (auto spec = parse_device_spec(e->spec)) {
        c.spec = TRY(without_udev_links(*spec)).to_string();
        c.reason = str("the /etc/fstab entry for ", m->mountpoint);
      }
    }
    classify_reach(dir, *m, c);
    if (c.spec.empty()) {
      std::string uuid = blkid_tag(m->source, "UUID");
      if (uuid.empty())
        return fail("find the boot filesystem:",
                    str(m->source, " (mounted at ", m->mountpoint,
                        ") has no UUID; name it with --bootfs"));
      c.spec = "UUID=" + uuid;
      c.reason = str("the UUID of ", m->source, ", mounted at ", m->mountpoint);
    }
  }
  if (!bootfs_path.empty()) {
    if (!bootfs_path.starts_with('/')) return fail("usage:", "--bootfs-path must be absolute");
    c.dir = bootfs_path;
    c.reason += "; directory given by --bootfs-path";
  }
  return c;
}

}  // namespace iofs
