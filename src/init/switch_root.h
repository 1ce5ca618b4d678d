// Making the overlay the root, in the order util-linux's switch_root and
// systemd's switch_root() use.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace iofs {

enum class OldRootCleanup { started, skipped_not_ramfs, fork_failed };

// What the switch did besides the switch itself, for the caller to report.
struct SwitchedRoot {
  OldRootCleanup cleanup = OldRootCleanup::skipped_not_ramfs;
  std::optional<Error> cleanup_failure;  // fork_failed: the old initramfs stays in memory
  // /dev, /proc, /sys or /run that could not be moved into the new root and
  // were detached instead (the next init mounts its own).
  std::vector<Error> not_moved;
};

// The mounts switch_root() moves into the new root.
inline constexpr const char* kApiMounts[] = {"/dev", "/proc", "/sys", "/run"};

// Makes sure each of kApiMounts is a directory in new_root (not a symlink,
// which the move would follow out of it), creating the missing ones. Run
// before the switch: a new root that cannot take them (a damaged image
// fails the lookup with EUCLEAN or EIO) is a failure while the initramfs
// is still there to take the failure action.
Result<void> prepare_mount_points(const std::string& new_root);

// Moves /dev, /proc, /sys, /run into new_root, moves new_root onto /,
// chroots into it, and starts freeing the old root's files in a child
// process when the old root is a ramfs or tmpfs (the initramfs), so the
// hand-over is not delayed by it.
Result<SwitchedRoot> switch_root(const std::string& new_root);

// The name the cleanup process carries (/proc/PID/comm).
inline constexpr const char* kCleanupProcessName = "iofs-cleanup";

}  // namespace iofs
