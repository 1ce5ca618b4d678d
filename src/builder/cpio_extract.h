// Unpacking newc cpio archives (cpio.h) into a directory the way the
// kernel fills rootfs (init/initramfs.c), confined to that directory:
// names with a ".." component are refused, and symlinks in the tree
// resolve as if the directory were "/" (openat2 RESOLVE_IN_ROOT; before
// Linux 5.6 the same walk is done in user space).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "builder/cpio.h"
#include "core/error.h"
#include "core/unique_fd.h"

namespace iofs {

struct ExtractStats {
  size_t files = 0;      // regular files, not counting hard links
  size_t dirs = 0;
  size_t symlinks = 0;
  size_t devices = 0;    // character and block devices, fifos, sockets
  size_t hardlinks = 0;  // names made with link()
  uint64_t bytes = 0;    // file data written
};

// Unpacks the cpio archive(s) in `archive` (several may follow each other,
// separated by zero padding) into `dir`, an existing directory, keeping
// modes, owners, device numbers, symlink targets, hard links and mtimes the
// way the kernel fills rootfs. Entries are confined to `dir`: names with a
// ".." component are refused, and symlinks in the tree resolve as if `dir`
// were "/" (openat2 RESOLVE_IN_ROOT; before Linux 5.6 the same walk is
// done in user space). Missing parent directories are created (mode 0755).
// Needs root for owners and device nodes.
Result<ExtractStats> extract_cpio(std::string_view archive,
                                  const std::string& dir);

// Tests only: resolve paths in user space as on kernels without openat2.
void extract_without_openat2_for_testing(bool on);

// What extract_cpio does, one entry at a time, for entries that arrive as
// a stream is decompressed (unpack_initramfs).
class Extractor {
 public:
  // `root`: the directory to fill.
  explicit Extractor(UniqueFd root) : root_(std::move(root)) {}

  // `body`, when given, is a regular file's data in place of e.data.
  Result<void> add(const CpioEntry& e, std::optional<std::string_view> body = {});
  // Hard links pair up only within one archive, as in the kernel.
  void end_archive() { links_.clear(); }
  // Sets directory mtimes, now that nothing more is written into them.
  Result<void> finish();

  ExtractStats stats;

 private:
  // Resolves a directory below the root, symlinks staying inside it.
  Result<UniqueFd> open_dir(const std::string& path) const;
  // Like open_dir for the parent of `comps`, creating missing directories.
  Result<UniqueFd> make_parent(const std::vector<std::string>& comps,
                               const std::string& path);
  // Makes room for a new entry: removes a non-directory, or a directory
  // (when empty) that a non-directory replaces. Returns whether a directory
  // is left in place.
  Result<bool> clear(int parent, const std::string& base,
                     const std::string& path, bool want_dir);
  // Links `path` to the first name of its hard-link group, if there is one.
  Result<bool> link_to_group(const CpioEntry& e, int parent,
                             const std::string& base, const std::string& path);
  Result<void> add_file(const CpioEntry& e, std::string_view data, int parent,
                        const std::string& base, const std::string& path);
  Result<void> add_dir(const CpioEntry& e, int parent, const std::string& base,
                       const std::string& path);
  Result<void> add_node(const CpioEntry& e, int parent, const std::string& base,
                        const std::string& path);
  Result<void> add_symlink(const CpioEntry& e, int parent,
                           const std::string& base, const std::string& path);

  UniqueFd root_;
  using LinkKey = std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>;
  std::map<LinkKey, std::string> links_;
  std::map<std::string, uint32_t> dir_mtimes_;  // "" is the root
};

}  // namespace iofs
