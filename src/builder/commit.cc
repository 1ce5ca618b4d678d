#include "builder/commit.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "builder/boot_entries.h"
#include "builder/inspect.h"
#include "builder/interrupt.h"
#include "builder/mapped_file.h"
#include "builder/partition_writer.h"
#include "builder/say.h"
#include "builder/uki.h"
#include "core/erofs_superblock.h"
#include "core/placement.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

// Where the extension starts: the last '.', unless the name starts with it.
size_t extension_at(std::string_view base) {
  size_t dot = base.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? base.size() : dot;
}

// The directory of a path as dirname(1) gives it.
std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

bool is_hex_id(std::string_view s) {
  if (s.size() != 8) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// The tests kill the builder at a point of the commit, as a power cut
// would stop it: INITOVERLAYFS_TEST_CRASH_AFTER=image (renamed, nothing
// names it yet) or mini-rename (the new pair in place, old images not yet
// removed). SIGKILL runs no destructor, so nothing is cleaned up.
void crash_point(std::string_view point) {
  const char* at = ::getenv("INITOVERLAYFS_TEST_CRASH_AFTER");
  if (at && point == at) ::raise(SIGKILL);
}

Result<std::string> random_uuid() {
  return std::string(trim(TRY(sys::read_file("/proc/sys/kernel/random/uuid"))));
}

Result<void> sync_dir(int dirfd, const std::string& dir) {
  if (::fsync(dirfd) != 0) return sys_error("fsync", dir);
  return {};
}

// rename(2) that never replaces: a name taken meanwhile (another builder)
// is an error, not a lost image. RENAME_NOREPLACE is refused (EINVAL) by
// a few filesystems; there the name was checked unused just before.
Result<void> rename_new(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return {};
  if (errno == EINVAL && !sys::exists(to) && ::rename(from.c_str(), to.c_str()) == 0) return {};
  return sys_error("rename", from + " to " + to);
}

Result<std::vector<std::string>> list_dir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return sys_error("list", dir);
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  return names;
}

}  // namespace

std::string unique_image_name(std::string_view base, std::string_view uuid) {
  size_t ext = extension_at(base);
  return str(base.substr(0, ext), '-', uuid.substr(0, 8), base.substr(ext));
}

bool is_earlier_image(std::string_view name, std::string_view base) {
  if (name == base) return true;
  size_t ext = extension_at(base);
  std::string_view stem = base.substr(0, ext), suffix = base.substr(ext);
  if (name.size() != stem.size() + 9 + suffix.size()) return false;
  return name.starts_with(stem) && name.ends_with(suffix) && name[stem.size()] == '-' &&
         is_hex_id(name.substr(stem.size() + 1, 8));
}

std::vector<std::string> earlier_images(const std::vector<std::string>& names,
                                        std::string_view base, std::string_view keep,
                                        std::string_view kver) {
  std::vector<std::string> out;
  const size_t ext = extension_at(base);
  for (const std::string& name : names) {
    if (name == keep || !is_earlier_image(name, base)) continue;
    if (name != base && !kver.empty()) {
      std::string other_kernel = str(kver, '-', std::string_view(name).substr(ext + 1, 8));
      bool named = false;
      for (const std::string& n : names)
        named = named || (!is_earlier_image(n, base) && n.find(other_kernel) != std::string::npos);
      if (named) continue;
    }
    out.push_back(name);
  }
  return out;
}

std::string uuid_from_seed(std::string_view seed) {
  // FNV-1a, 128 bits (offset basis and prime from its specification). Its
  // last bytes reach only the low bits, and the name shows the high ones:
  // both halves go through splitmix64's finalizer, each into the other.
  unsigned __int128 h = (static_cast<unsigned __int128>(0x6c62272e07bb0142) << 64) | 0x62b821756295c58d;
  const unsigned __int128 prime = (static_cast<unsigned __int128>(1) << 88) | 0x13b;
  for (char c : seed) {
    h ^= static_cast<uint8_t>(c);
    h *= prime;
  }
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  };
  uint64_t lo = mix(static_cast<uint64_t>(h));
  uint64_t hi = mix(static_cast<uint64_t>(h >> 64) ^ lo);
  lo = mix(lo ^ hi);
  std::array<uint8_t, 16> b;
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x80);  // version 8
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // variant 10
  return format_uuid(b);
}

Result<OutputPaths> create_outputs(OutputTemps& temps, const BuilderOptions& o,
                                   const KernelChoice& kernel, const BootTarget& target) {
  OutputPaths out;
  out.mini_final = o.output_dir + "/" + kernel.initramfs_name;
  for (const std::string& name : {kernel.image_name, kernel.initramfs_name})
    if (size_t n = OutputTemps::remove_abandoned(o.output_dir, name))
      Say{o.verbose}("removed ", n, " temporary ", name, " files of builders that died");
  const char* epoch = ::getenv("SOURCE_DATE_EPOCH");
  for (int attempt = 0;; ++attempt) {
    if (!target.image_uuid.empty())
      out.image_uuid = target.image_uuid;
    else if (epoch)
      out.image_uuid = uuid_from_seed(str(epoch, '\0', kernel.kver, '\0', kernel.image_name, '\0', attempt));
    else
      out.image_uuid = TRY(random_uuid());
    out.image_name = placement_info(o.placement).appended
                         ? kernel.image_name
                         : unique_image_name(kernel.image_name, out.image_uuid);
    out.image_final = o.output_dir + "/" + out.image_name;
    if (placement_info(o.placement).appended || !sys::exists(out.image_final)) break;
    if (!target.image_uuid.empty() || attempt == 16)
      return fail("choose a name for the image", out.image_final + " exists", EEXIST);
  }
  out.image_tmp = TRY(temps.create(o.output_dir, kernel.image_name));
  out.mini_tmp = TRY(temps.create(o.output_dir, kernel.initramfs_name));
  if (!o.uki.empty()) {
    out.uki_final = uki_path_for(o.uki, kernel.kver);
    const std::string dir = dir_of(out.uki_final);
    const std::string name = out.uki_final.substr(out.uki_final.rfind('/') + 1);  // npos + 1 == 0
    if (name.empty()) return fail("--uki", out.uki_final + ": names a directory, not a file");
    OutputTemps::remove_abandoned(dir, name);
    out.uki_tmp = TRY(temps.create(dir, name));
  }
  return out;
}

Result<void> sync_output(const std::string& path) {
  UniqueFd fd = TRY(sys::open(path, O_RDONLY));
  if (::fsync(fd.get()) != 0) return sys_error("fsync", path);
  return {};
}

Result<void> commit_outputs(OutputTemps& temps, const OutputPaths& out, const BuilderOptions& o,
                            const BootTarget& target, const KernelChoice& kernel) {
  const bool separate_image = !placement_info(o.placement).appended;
  UniqueFd dirfd = TRY(sys::open(o.output_dir, O_RDONLY | O_DIRECTORY));
  TRY(check_interrupted());
  {
    // A signal from here on waits until the mini initramfs is in place
    // (InterruptsHeld): the pair is switched, or the new image removed.
    InterruptsHeld held;
    if (separate_image) {
      TRY(rename_new(out.image_tmp, out.image_final));
      temps.keep(out.image_tmp);
      // Named by nothing until the mini initramfs is renamed: on any
      // failure before that it goes again.
      auto switched = [&]() -> Result<void> {
        TRY(sync_dir(dirfd.get(), o.output_dir));
        crash_point("image");
        if (!o.write_partition.empty()) {
          Say{o.verbose}("writing the image onto ", o.write_partition);
          TRY(write_image_to_partition(out.image_final, o.write_partition, target.bootfs.spec,
                                       o.lowerfs));
        }
        if (::rename(out.mini_tmp.c_str(), out.mini_final.c_str()) != 0)
          return sys_error("rename", out.mini_tmp + " to " + out.mini_final);
        return {};
      }();
      if (!switched) {
        ::unlink(out.image_final.c_str());
        return switched;
      }
    } else if (::rename(out.mini_tmp.c_str(), out.mini_final.c_str()) != 0) {
      return sys_error("rename", out.mini_tmp + " to " + out.mini_final);
    }
    temps.keep(out.mini_tmp);
  }
  TRY(sync_dir(dirfd.get(), o.output_dir));
  crash_point("mini-rename");
  if (!out.uki_final.empty()) {
    {
      InterruptsHeld held;
      if (::rename(out.uki_tmp.c_str(), out.uki_final.c_str()) != 0)
        return sys_error("rename", out.uki_tmp + " to " + out.uki_final +
                         " (the new pair is in place; the old UKI and its image are kept)");
      temps.keep(out.uki_tmp);
    }
    const std::string dir = dir_of(out.uki_final);
    UniqueFd ukidir = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY));
    TRY(sync_dir(ukidir.get(), dir));
    crash_point("uki-rename");
  }
  if (!separate_image) return {};
  // The old mini initramfs is gone from the output directory: the images
  // it and any crashed build before it named serve nothing now, unless a
  // copy of it in a boot loader entry still names one.
  TRY(remove_unused_images(o.output_dir, kernel.image_name, out.image_name, kernel.kver, o.verbose));
  return sync_dir(dirfd.get(), o.output_dir);
}

Result<void> remove_unused_images(const std::string& dir, std::string_view base,
                                  std::string_view keep, std::string_view kver, bool verbose) {
  const std::vector<std::string> earlier = earlier_images(TRY(list_dir(dir)), base, keep, kver);
  if (earlier.empty()) return {};
  auto mountinfo = sys::read_file("/proc/self/mountinfo");
  auto named = images_named_by_entries(entry_roots(dir, mountinfo ? *mountinfo : std::string()));
  if (!named) {
    std::fprintf(stderr, "initoverlayfs-install: warning: keeping the earlier images in %s: "
                 "cannot tell which the boot loader entries name: %s\n",
                 dir.c_str(), named.error().message().c_str());
    return {};
  }
  for (const std::string& name : earlier) {
    std::string path = dir + "/" + name;
    if (auto it = named->find(name); it != named->end()) {
      std::printf("initoverlayfs-install: keeping %s: boot loader entry %s loads a mini "
                  "initramfs that needs it (--prune removes it once that entry has the new one)\n",
                  path.c_str(), it->second.c_str());
      continue;
    }
    if (::unlink(path.c_str()) != 0)
      return sys_error("remove the earlier image", path + " (the new pair is in place)");
    Say{verbose}("removed the earlier image ", path);
  }
  return {};
}

Result<void> prune_images(const BuilderOptions& o) {
  const KernelChoice k = output_names(o);
  // The image the output directory's mini initramfs names stays; a
  // classic initramfs there (or none) names nothing.
  std::string keep;
  const std::string mini = o.output_dir + "/" + k.initramfs_name;
  if (auto file = MappedFile::open(mini)) {
    auto in = inspect_mini_initramfs(file->view());
    if (in && in->is_mini) {
      if (!in->has_config || in->config.fs.empty())
        return fail("prune", mini + ": a mini initramfs without the image's name in its configuration; removing nothing");
      keep = in->config.fs.substr(in->config.fs.rfind('/') + 1);
    }
  } else if (file.error().err != ENOENT) {
    return std::unexpected(file.error());
  }
  UniqueFd dirfd = TRY(sys::open(o.output_dir, O_RDONLY | O_DIRECTORY));
  TRY(remove_unused_images(o.output_dir, k.image_name, keep, k.kver, o.verbose));
  return sync_dir(dirfd.get(), o.output_dir);
}

}  // namespace iofs
