// The two shapes of the new root (config key root_layout), and letting go
// of the staging mounts once the new root holds them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/unique_fd.h"

namespace iofs {

struct NewRoot {
  bool is_volatile = false;  // every overlay took "volatile"
  // Why an overlay was mounted without "volatile" (an older overlayfs
  // refuses it): the first refusal, for the caller to report.
  std::optional<Error> volatile_refused;
  // root_layout tmpfs: an O_PATH fd on the root of each per-directory
  // overlay, for the release watcher (release_watcher.h).
  std::vector<UniqueFd> overlays;
  int copied = 0;  // top-level entries copied into the tmpfs root
};

// Mounts the new root at paths::kNewRoot over the image at paths::kLower,
// with a tmpfs (size tmpfs_size) at paths::kUpperFs for the upper layers:
//   overlay  one overlay of the whole image;
//   tmpfs    a tmpfs root holding copies of the image's top-level files,
//            symlinks and empty directories, and one overlay per non-empty
//            top-level directory mounted on it. klibc's run-init (the
//            switch_root of initramfs-tools) refuses a root that is not a
//            ramfs or tmpfs ("rootfs not a ramfs or tmpfs"), so an
//            initramfs-tools image needs this.
Result<NewRoot> mount_new_root(RootLayout layout, const std::string& tmpfs_size);

// systemd-stub's extras: the stub of a unified kernel image appends its own
// cpio archives to the embedded initrd, which the kernel unpacks into the
// initramfs beside the mini initramfs's files: /.extra/credentials,
// /.extra/global_credentials, /.extra/sysext, /.extra/confext (*.cred and
// *.raw files from the ESP). The initrd that uses them is the image's, so
// the tree at `from` (the initramfs's /.extra) is copied to `to` (the new
// root's /.extra, on the upper tmpfs) before the switch frees the
// initramfs: directories and regular files with their modes, nothing
// else, at most 4 levels deep. Returns the number of files copied (0 when
// `from` does not exist).
Result<int> carry_stub_extras(const std::string& from, const std::string& to);

// carry_stub_extras from the initramfs's /.extra to NEW_ROOT/.extra, for
// both modes: logs how many files it carried, or a warning when it could
// not (the image's initrd then boots as if fewer extras were given).
void carry_stub_extras_into(const std::string& new_root);

// Detaches the image, upper-tmpfs and boot-filesystem mounts from
// /run/initoverlayfs. The overlays keep their own references to the layers,
// so nothing changes for the new root; but once the overlays go away (when
// the next init leaves the initrd), so do the image and the boot filesystem,
// which /run carried into the real system otherwise: a read-only
// superblock of /boot that the real system could not mount read-write.
// Returns the ones that could not be detached (the caller logs them; the
// boot goes on).
std::vector<Error> detach_staging_mounts();

}  // namespace iofs
