// The builder's private scratch directory: one per run, made with mkdtemp
// under $TMPDIR (default /var/tmp) and kept at mode 0700, so that the tree
// extracted from an initramfs (whose root usually says 0755, and which may
// hold setuid files, device nodes and private keys) cannot be reached by
// any other user while the build runs. Everything the builder keeps on the
// side lives in it and is removed with it: the extracted tree, the
// initramfs made by dracut or mkinitramfs, dracut's work directory, the
// files for signing the root hash. Only the two outputs are made elsewhere,
// next to their final names (mkstemp, for the rename).
//
// A builder killed by SIGKILL (or a crash, or a power cut) cannot remove
// its scratch directory. So each run holds an flock(2) on its own for as
// long as it lives, and a later run removes those of its predecessors
// whose lock is free: the kernel drops a lock when its holder dies,
// however it dies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"

namespace iofs {

class ScratchDir {
 public:
  // Creates $TMPDIR/initoverlayfs-install.XXXXXX, mode 0700, and locks it.
  static Result<ScratchDir> create();
  // Removes the scratch directories in $TMPDIR left by builders that died
  // (unlocked, ours, and older than a minute, so that one just made by
  // mkdtemp and not yet locked is never taken); returns how many.
  static size_t remove_abandoned();
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

// The outputs under temporary names next to their final ones (mkstemp:
// O_EXCL, mode 0600, ".NAME.XXXXXX"), removed unless committed. Each is
// locked like the scratch directory, so that the next run can remove the
// ones a builder that died left behind.
class OutputTemps {
 public:
  OutputTemps() = default;
  OutputTemps(const OutputTemps&) = delete;
  OutputTemps& operator=(const OutputTemps&) = delete;
  ~OutputTemps();  // removes every file not kept

  // A new empty file DIR/.NAME.XXXXXX; returns its path.
  Result<std::string> create(const std::string& dir, const std::string& name);
  // Committed (renamed into place): no longer ours to remove.
  void keep(const std::string& path);
  // Removes DIR/.NAME.XXXXXX files that no living builder holds (ours,
  // unlocked, older than a minute); returns how many.
  static size_t remove_abandoned(const std::string& dir, const std::string& name);

 private:
  struct Temp {
    std::string path;
    UniqueFd lock;
  };
  std::vector<Temp> temps_;
};

}  // namespace iofs
