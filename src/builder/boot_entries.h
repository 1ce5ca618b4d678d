// Which images the boot loader's entries still need. systemd-boot's
// kernel-install copies the mini initramfs into its entry directory
// ($BOOT/ENTRY-TOKEN/KVER/initrd.img-KVER) after the hook that made it has
// run, and its Boot Loader Specification entry ($BOOT/loader/entries/
// *.conf, "initrd" lines) loads that copy. Until the copy is replaced, it
// names the image of the build before: the builder must not remove that
// image when it commits a new pair (a crash before kernel-install's copy
// would leave an entry whose image is gone), and removes it later
// (--prune, run by the kernel-install plugin after the copy).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace iofs {

// The initrd paths of one type #1 entry ("initrd PATH..." lines; a line
// may name several), as written: relative to the root of the filesystem
// holding loader/entries. Pure.
std::vector<std::string> entry_initrds(std::string_view entry);

// Where entries may be: the root of the filesystem mounted at or above
// `output_dir` (from mountinfo), then kernel-install's places for $BOOT
// (/efi, /boot, /boot/efi). Existing directories only, each once (by real
// path).
std::vector<std::string> entry_roots(const std::string& output_dir, std::string_view mountinfo);

// Of every entry in ROOT/loader/entries/*.conf for each root, and every
// unified kernel image in ROOT/EFI/Linux/*.efi (type #2 entries, whose
// mini initramfs is their .initrd section), the initrds
// that are mini initramfs files: the file name of the image each expects
// (the last component of its configuration's "fs"), mapped to the entry
// naming it. Entries or initrds that do not exist, and initrds that are not
// a mini initramfs, name nothing; one that exists but cannot be read is an
// error (the caller cannot tell what it needs).
Result<std::map<std::string, std::string>> images_named_by_entries(
    const std::vector<std::string>& roots);

}  // namespace iofs
