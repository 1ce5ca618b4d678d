// Service mode: `initoverlayfs --systemd`.
//
// In a mini initramfs that runs systemd and udev (initoverlayfs-install
// --mode systemd; the units are in dist/systemd/), pre-initoverlayfs.service
// runs the program as an ordinary process once udev's coldplug has been
// triggered. systemd has mounted the API filesystems and udev loads drivers
// by modalias, so this mode only
//   1. reads the same configuration as the init mode,
//   2. waits for the boot device through udev: for the /dev/disk/by-*/ link
//      udev makes once it has processed the device (udev_link_wait.h),
//   3. mounts the boot filesystem, the image and the overlay at /sysroot
//      with the init mode's functions (image_layers.h),
//   4. finds the next init inside the new root, in the init mode's order
//      (next_init.h), and writes it for pre-initoverlayfs-switch-root.service
//      (switch_root_request.h), whose `initoverlayfs --systemd-switch-root`
//      asks systemd to switch root into it,
// then exits 0; on any failure it logs the cause and exits 1, and the unit's
// failure handling (OnFailure=emergency.target, or the FailureAction= the
// dracut module sets from the config's onfailure) takes over.
#pragma once

namespace iofs {

// Runs the service mode; returns the process's exit status.
int run_service_mode();

// `initoverlayfs --systemd-switch-root`, pre-initoverlayfs-switch-root.service:
// asks systemd to switch root into what run_service_mode() prepared
// (switch_root_request.h) and to execute the init it chose (see
// init/systemd_bus.h for why not systemctl).
int run_switch_root_request();

}  // namespace iofs
