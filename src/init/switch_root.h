// Making the overlay the root, in the order util-linux's switch_root and
// systemd's switch_root() use.
#pragma once

#include <string>

#include "core/error.h"

namespace iofs {

enum class OldRootCleanup { started, skipped_not_ramfs };

// Moves /dev, /proc, /sys, /run into new_root, moves new_root onto /,
// chroots into it, and starts freeing the old root's files in a child
// process when the old root is a ramfs or tmpfs (the initramfs), so the
// hand-over is not delayed by it.
Result<OldRootCleanup> switch_root(const std::string& new_root);

// The name the cleanup process carries (/proc/PID/comm).
inline constexpr const char* kCleanupProcessName = "iofs-cleanup";

}  // namespace iofs
