// Letting go of the initrd's overlays once the next init has left them.
//
// systemd (dracut's initrd) leaves the initrd with pivot_root(2) and then
// detaches the old root, so the overlay, the image below it and the boot
// filesystem below that go away by themselves. klibc's run-init
// (initramfs-tools) instead moves the real root over "/" and chroots: the
// old root stays mounted underneath for good, keeping the image open and
// the boot filesystem's superblock read-only, and the real system's
// "mount /boot" then fails ("Can't mount, would change RO state").
//
// With root_layout tmpfs the overlays are mounts on directories of the
// tmpfs root, siblings of the real root once run-init has moved it onto
// "/". A small child process waits for PID 1 to change its root, then
// detaches each overlay (never one the real root is mounted under) and
// exits.
#pragma once

#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"

namespace iofs {

// The name the watcher carries (/proc/PID/comm).
inline constexpr const char* kReleaseProcessName = "iofs-release";

// Forks the watcher, which takes the fds (O_PATH on each overlay's root).
// Does nothing when there are none. Must be called in the new root, after
// switch_root(), with /proc mounted. Fails only if it cannot fork; the
// overlays then stay mounted after the initrd. The watcher logs its own
// outcome: it outlives its caller.
Result<void> start_release_watcher(std::vector<UniqueFd> overlays);

}  // namespace iofs
