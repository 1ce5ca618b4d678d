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

// The entry files of ROOT/loader/entries, sorted; none if it does not exist.
Result<std::vector<std::string>> entry_files(const std::string& root) {
  const std::string dir = root + "/loader/entries";
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT || errno == ENOTDIR) return std::vector<std::string>{};
    return sys_error("list", dir);
  }
  std::vector<std::string> out;
  while (const dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name.size() > 5 && name.ends_with(".conf") && !name.starts_with('.')) out.push_back(dir + "/" + std::string(name));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
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
  }
  return named;
}

}  // namespace iofs
