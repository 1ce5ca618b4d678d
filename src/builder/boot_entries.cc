#include "builder/boot_entries.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include "builder/bootfs.h"
#include "builder/inspect.h"
#include "builder/mapped_file.h"
#include "builder/pe.h"
#include "core/strings.h"
#include "core/sys.h"

namespace iofs {
namespace {

std::string real_path(const std::string& path) {
  std::unique_ptr<char, decltype(&::free)> r(::realpath(path.c_str(), nullptr), &::free);
  return r ? std::string(r.get()) : std::string();
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The files of DIR whose names `wanted` accepts (dot files never), sorted;
// none if DIR does not exist.
template <typename Pred>
Result<std::vector<std::string>> files_in(const std::string& dir, Pred wanted) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT || errno == ENOTDIR) return std::vector<std::string>{};
    return sys_error("list", dir);
  }
  std::vector<std::string> out;
  while (const dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.starts_with('.') && wanted(name)) out.push_back(dir + "/" + std::string(name));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// The entry files of ROOT/loader/entries.
Result<std::vector<std::string>> entry_files(const std::string& root) {
  return files_in(root + "/loader/entries",
                  [](std::string_view name) { return name.size() > 5 && name.ends_with(".conf"); });
}

// The type #2 entries (unified kernel images) of ROOT/EFI/Linux. vfat
// keeps the case it was given; firmware and boot loaders ignore it.
Result<std::vector<std::string>> uki_files(const std::string& root) {
  return files_in(root + "/EFI/Linux", [](std::string_view name) {
    return name.size() > 4 && (name.ends_with(".efi") || name.ends_with(".EFI"));
  });
}

std::string_view last_component(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::vector<std::string> entry_initrds(std::string_view entry) {
  std::vector<std::string> out;
  for (std::string_view line : split_lines(entry)) {
    line = trim(line);
    if (!line.starts_with("initrd") || line.size() == 6 || (line[6] != ' ' && line[6] != '\t')) continue;
    for (std::string_view word : split_words(line.substr(6))) out.emplace_back(word);
  }
  return out;
}

std::vector<std::string> entry_roots(const std::string& output_dir, std::string_view mountinfo) {
  std::vector<std::string> candidates;
  std::string dir = real_path(output_dir);
  if (!dir.empty()) {
    const auto mounts = parse_mountinfo(mountinfo);
    if (const MountEntry* m = mount_containing(mounts, dir)) candidates.push_back(m->mountpoint);
  }
  for (const char* place : {"/efi", "/boot", "/boot/efi"}) candidates.emplace_back(place);
  std::vector<std::string> out;
  for (const std::string& c : candidates) {
    std::string r = real_path(c);
    if (r.empty() || !is_directory(r) || std::find(out.begin(), out.end(), r) != out.end()) continue;
    out.push_back(r);
  }
  return out;
}

Result<std::map<std::string, std::string>> images_named_by_entries(
    const std::vector<std::string>& roots) {
  std::map<std::string, std::string> named;
  for (const std::string& root : roots) {
    for (const std::string& conf : TRY(entry_files(root))) {
      auto text = sys::read_file(conf);
      if (!text) {
        if (text.error().err == ENOENT) continue;
        return std::unexpected(text.error());
      }
      for (const std::string& initrd : entry_initrds(*text)) {
        // Entries name their files from the root of their filesystem.
        const std::string path = root + (initrd.starts_with('/') ? "" : "/") + initrd;
        auto file = MappedFile::open(path);
        if (!file) {
          if (file.error().err == ENOENT) continue;
          return fail("read the initrd of boot loader entry " + conf, file.error().message(), file.error().err);
        }
        auto in = inspect_mini_initramfs(file->view());
        if (!in || !in->is_mini || !in->has_config || in->config.fs.empty()) continue;
        named.emplace(std::string(last_component(in->config.fs)), conf);
      }
    }
    // A UKI carries its mini initramfs as its .initrd section; a file that
    // is not a PE program or has no such section names nothing.
    for (const std::string& uki : TRY(uki_files(root))) {
      auto file = MappedFile::open(uki);
      if (!file) {
        if (file.error().err == ENOENT) continue;
        return fail("read the unified kernel image", file.error().message(), file.error().err);
      }
      auto pe = read_pe(file->view());
      if (!pe) continue;
      auto initrd = pe_section_data(*pe, file->view(), ".initrd");
      if (!initrd) continue;
      auto in = inspect_mini_initramfs(*initrd);
      if (!in || !in->is_mini || !in->has_config || in->config.fs.empty()) continue;
      named.emplace(std::string(last_component(in->config.fs)), uki);
    }
  }
  return named;
}

}  // namespace iofs
