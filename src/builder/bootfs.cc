#include "builder/bootfs.h"

#include <blkid/blkid.h>
#include <limits.h>
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

namespace {

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
  if (!m) return fail("find the filesystem holding", dir);

  BootfsChoice c;
  c.fstype = bootfstype;
  const bool on_device = m->source.starts_with("/dev/");
  if (!bootfs.empty()) {
    DeviceSpec spec = TRY(parse_device_spec(bootfs));
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
    if (!on_device)
      return fail("find the boot filesystem",
                  str(dir, " is on ", m->source, " (", m->fstype,
                      "), not a block device; name it with --bootfs"));
    c.dir = path_on_filesystem(*m, dir);
    c.hint = m->source;
    if (c.fstype.empty()) c.fstype = m->fstype;
    if (auto fstab = sys::read_file("/etc/fstab")) {
      for (const FstabEntry& e : parse_fstab(*fstab)) {
        if (normalise_mountpoint(e.mountpoint) != m->mountpoint) continue;
        if (parse_device_spec(e.spec)) {
          c.spec = e.spec;
          c.reason = str("the /etc/fstab entry for ", m->mountpoint);
        }
        break;
      }
    }
    if (c.spec.empty()) {
      std::string uuid = blkid_tag(m->source, "UUID");
      if (uuid.empty())
        return fail("find the boot filesystem",
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
