// Service mode: `initoverlayfs --systemd`.
//
// In a mini initramfs that runs systemd and udev (initoverlayfs-install
// --mode systemd; the units are in dist/systemd/), pre-initoverlayfs.service
// runs the program as an ordinary process once udev's coldplug has been
// triggered. systemd has mounted the API filesystems and udev loads drivers
// by modalias, so this mode only
//   1. reads the same configuration as the init mode,
//   2. waits for the boot device through udev: for the /dev/disk/by-*/ link
//      udev makes once it has processed the device,
//   3. mounts the boot filesystem, the image and the overlay at /sysroot
//      with the init mode's functions (init/mounts.h),
//   4. finds the next init inside the new root, in the init mode's order,
//      and writes it for pre-initoverlayfs-switch-root.service, whose
//      `initoverlayfs --systemd-switch-root` asks systemd to switch root
//      into it,
// then exits 0; on any failure it logs the cause and exits 1, and the unit's
// failure handling (OnFailure=emergency.target, or the FailureAction= the
// dracut module sets from the config's onfailure) takes over.
#pragma once

#include <string>
#include <string_view>

#include "core/device_spec.h"

namespace iofs {

// What the first step leaves for the second: INITOVERLAYFS_NEW_ROOT=... and
// INITOVERLAYFS_INIT=... lines.
inline constexpr const char* kSwitchRootEnv = "/run/initoverlayfs/switch-root.env";

// Runs the service mode; returns the process's exit status.
int run_service_mode();

// `initoverlayfs --systemd-switch-root`, pre-initoverlayfs-switch-root.service:
// asks systemd to switch root into what run_service_mode() prepared and to
// execute the init it chose (see init/systemd_bus.h for why not systemctl).
int run_switch_root_request();

// A name as udev puts it into a /dev/disk/by-*/ link: bytes outside
// [0-9A-Za-z#+-.:=@_] and not part of a valid UTF-8 sequence, and '\',
// become \xNN (libblkid's blkid_encode_string(), which udev's blkid builtin
// uses for ID_FS_UUID_ENC, ID_FS_LABEL_ENC and ID_PART_ENTRY_NAME).
std::string udev_encode(std::string_view s);

// The directory of udev's links for a spec's key (/dev/disk/by-uuid, ...);
// empty for a /dev path.
std::string udev_link_dir(DeviceKey key);

// The link udev makes for the device a spec names, which service mode
// waits for: "LABEL=my boot" -> /dev/disk/by-label/my\x20boot; a /dev path
// is itself.
std::string udev_link_path(const DeviceSpec& spec);

}  // namespace iofs
