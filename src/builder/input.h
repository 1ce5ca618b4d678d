// Pass 3: the tree that becomes the image: --rootdir as it is, or an
// initramfs (--initramfs, else one dracut or mkinitramfs makes for the
// kernel) unpacked into the scratch directory.
#pragma once

#include <string>

#include "builder/kernel.h"
#include "builder/options.h"
#include "builder/scratch.h"
#include "core/error.h"

namespace iofs {

struct InputTree {
  std::string tree;         // the image's contents
  std::string description;  // for the summary
  std::string early;        // the early cpio archives (microcode) in front of the input
  // /init is initramfs-tools' shell script ending in klibc's run-init,
  // which refuses to switch unless / is a ramfs or tmpfs.
  bool init_is_run_init_script = false;
  // --hook and the input (`file`) is a mini initramfs made by us already:
  // nothing to do, and nothing else is set.
  bool already_converted = false;
  std::string file;
};

Result<InputTree> read_input(const BuilderOptions& o, const KernelChoice& kernel,
                             const ScratchDir& scratch);

// Refuses --mode systemd for a run-init input: that needs root_layout
// tmpfs, whose per-directory overlays only the init mode's release
// watcher lets go of.
Result<void> check_input_for_mode(const BuilderOptions& o, const InputTree& input);

}  // namespace iofs
