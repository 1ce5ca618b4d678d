// Putting the pair into place so that a crash at any moment leaves a
// matching pair: the mini initramfs and the image it was built with.
//
// The image gets a name of its own, BASE-ID.EXT (initoverlayfs-KVER-
// 1a2b3c4d.img), ID being the first 8 hex digits of the UUID it is made
// with, unused in the output directory; only its own mini initramfs names
// it (and checks its UUID at boot, fs_uuid). The commit then goes:
//   1. the image, written and synced under a temporary name (OutputTemps),
//      is renamed to its new name, which replaces nothing; the directory
//      is synced, so the name is on disk before anything refers to it;
//   2. --write-partition writes it onto the partition (the old mini
//      initramfs, if any, then refuses the partition by its UUID);
//   3. the mini initramfs, synced under its temporary name, is renamed over
//      the old one, the one step that switches the pair; the directory is
//      synced;
//   3b. with --uki, the UKI holding that mini initramfs is renamed over the
//      old UKI the same way (its directory synced); a crash between 3 and
//      3b leaves the old UKI, whose image is still there: it is removed
//      only in step 4, and step 4 of a later build keeps the images that
//      type #2 entries (EFI/Linux/*.efi, boot_entries.h) name;
//   4. only then are the images of earlier builds for this name removed,
//      but for those a boot loader entry's copy of an earlier mini
//      initramfs still names (boot_entries.h): prune_images removes them
//      once the entry has a copy of the new one.
// A crash before 3 leaves the old pair and an unused new image (removed by
// the next build, step 4); after 3, the new pair and old images. With the
// image inside the mini initramfs (placement initrd) step 3 alone does it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "builder/boot_target.h"
#include "builder/kernel.h"
#include "builder/options.h"
#include "builder/scratch.h"
#include "core/error.h"

namespace iofs {

struct OutputPaths {
  std::string image_tmp, mini_tmp;      // what the passes write
  std::string image_final, mini_final;  // what commit_outputs renames them to
  std::string image_name;  // the image's file name, BASE-ID.EXT (BASE.EXT when appended)
  std::string image_uuid;  // the UUID to make the image with
  std::string uki_tmp, uki_final;  // --uki: the UKI, renamed right after the mini initramfs
};

// Removes the temporary files of builders that died, then makes ours, and
// chooses the image's UUID and name: the pmem placements' UUID, else a
// random one (derived from SOURCE_DATE_EPOCH, the kernel and the name when
// that is set, for reproducible builds), again until the name is unused.
Result<OutputPaths> create_outputs(OutputTemps& temps, const BuilderOptions& o,
                                   const KernelChoice& kernel, const BootTarget& target);

// fsync(2) of a finished output, before it is renamed.
Result<void> sync_output(const std::string& path);

// Steps 1 to 4 above. `kernel.image_name` is the base name whose earlier
// images are removed.
Result<void> commit_outputs(OutputTemps& temps, const OutputPaths& out, const BuilderOptions& o,
                            const BootTarget& target, const KernelChoice& kernel);

// Removes the earlier images of `base` in `dir` (earlier_images), but
// `keep` and those a boot loader entry still names; says which it keeps.
// When the entries cannot be read, keeps them all, with a warning.
Result<void> remove_unused_images(const std::string& dir, std::string_view base,
                                  std::string_view keep, std::string_view kver, bool verbose);

// --prune: for the kernel of `o` (--kver, else the running one), removes
// the earlier images in the output directory that neither its mini
// initramfs nor a boot loader entry names. Run by the kernel-install
// plugin once kernel-install has copied the new mini initramfs.
Result<void> prune_images(const BuilderOptions& o);

// Pure helpers, for the tests.
// BASE.EXT with "-" and the first 8 hex digits of `uuid` before ".EXT"
// (at the end when BASE has no extension).
std::string unique_image_name(std::string_view base, std::string_view uuid);
// Whether `name` is an image an earlier build for `base` left: BASE.EXT
// itself (as builds before the unique names wrote it) or BASE-ID.EXT with
// an 8-digit lowercase hex ID.
bool is_earlier_image(std::string_view name, std::string_view base);
// Of the names in a directory, the earlier images of `base` to remove:
// never `keep` (the new image), and not BASE-ID.EXT when another name in
// the directory contains KVER-ID (kernel KVER-ID's own files: with the
// default base initoverlayfs-KVER.img, its old image initoverlayfs-KVER-ID.img).
std::vector<std::string> earlier_images(const std::vector<std::string>& names,
                                        std::string_view base, std::string_view keep,
                                        std::string_view kver);
// A UUID (version 8, RFC 9562) derived from `seed`: reproducible names.
std::string uuid_from_seed(std::string_view seed);

}  // namespace iofs
