// The builder's private scratch directory: one per run, made with mkdtemp
// under $TMPDIR (default /var/tmp) and kept at mode 0700, so that the tree
// extracted from an initramfs (whose root usually says 0755, and which may
// hold setuid files, device nodes and private keys) cannot be reached by
// any other user while the build runs. Everything the builder keeps on the
// side lives in it and is removed with it: the extracted tree, the
// initramfs made by dracut or mkinitramfs, dracut's work directory, the
// files for signing the root hash. Only the two outputs are made elsewhere,
// next to their final names (mkstemp, for the rename).
#pragma once

#include <string>

#include "core/error.h"
#include "core/unique_fd.h"

namespace iofs {

class ScratchDir {
 public:
  // Creates $TMPDIR/initoverlayfs-install.XXXXXX, mode 0700.
  static Result<ScratchDir> create();
  ScratchDir() = default;
  ScratchDir(ScratchDir&& other) noexcept;
  ScratchDir& operator=(ScratchDir&& other) noexcept;
  ~ScratchDir();  // removes it and all it holds

  const std::string& path() const { return path_; }
  // A new directory in it (mkdir fails on any existing name), mode 0700.
  Result<std::string> make_dir(const std::string& name) const;
  // A new file in it for writing: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600.
  Result<UniqueFd> create_file(const std::string& name) const;
  // Free space on its filesystem for an unprivileged writer (statvfs).
  Result<uint64_t> available_bytes() const;

 private:
  void remove();
  std::string path_;
  UniqueFd fd_;
};

}  // namespace iofs
