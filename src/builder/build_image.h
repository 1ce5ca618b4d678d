// Pass 5: the image, in its temporary file: checked against the target
// kernel's config, made by mkfs (image.h), with --verity its hash tree
// appended and the root hash signed, padded as the placement wants, synced.
#pragma once

#include <optional>
#include <string>

#include "builder/boot_target.h"
#include "builder/image.h"
#include "builder/kernel.h"
#include "builder/options.h"
#include "builder/scratch.h"
#include "core/config.h"
#include "core/error.h"

namespace iofs {

struct BuiltImage {
  std::optional<VerityConfig> verity;  // --verity: the appended tree's parameters
  std::string root_hash_sig;           // --verity-sign: the PKCS#7 signature
  std::string fs_uuid;                 // EROFS: the UUID read back from its superblock
};

ImageFormat image_format(const BuilderOptions& o, const BootTarget& target);

// Refuses a format the kernel cannot mount (check_kernel_reads); returns
// the kernel config used, "" when none was found. Run before anything is
// written to the output directory.
Result<std::string> check_kernel_for_image(const BuilderOptions& o, const KernelChoice& kernel,
                                           const ImageFormat& fmt);

Result<BuiltImage> build_image(const BuilderOptions& o, const std::string& tree,
                               const ImageFormat& fmt, const std::string& kernel_config,
                               const ScratchDir& scratch, const std::string& image_tmp);

}  // namespace iofs
