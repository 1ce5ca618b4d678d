// initoverlayfs-install --dracut: a dracut command line, so that the builder
// can stand in for `dracut -f [OUTPUT [KVER]]` in scripts and kernel hooks.
//
// dracut(8) takes its options anywhere and two positional arguments, the
// output file and the kernel version. Here:
//   -f, --force               replace OUTPUT (and the image beside it)
//   --kver KVER, KVER         the kernel
//   --kmoddir DIR             its modules (the builder's --moddir)
//   -v, --verbose             the builder explains each step
//   -q, --quiet               passed on to dracut (the builder prints only
//                             its summary anyway)
//   OUTPUT                    the mini initramfs (default: Debian's dracut's
//                             /boot/initrd.img-KVER); the image is written
//                             beside it, as initoverlayfs-KVER-ID.img
// Every other option is passed on, with its value, to the dracut run that
// makes the full initramfs; which options take a value is dracut 059's
// getopt table (the same in dracut 050-060).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace iofs {

struct BuilderOptions;

// Applies the dracut command line `args` (what followed --dracut) to `o`.
Result<void> apply_dracut_args(const std::vector<std::string>& args, BuilderOptions& o);

}  // namespace iofs
