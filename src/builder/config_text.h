// The mini initramfs's /etc/initoverlayfs.conf (core/config.h), as the
// options, the placement and the passes before decided it.
#pragma once

#include <optional>
#include <string>

#include "builder/boot_target.h"
#include "builder/build_image.h"
#include "builder/input.h"
#include "builder/options.h"
#include "core/config.h"

namespace iofs {

// --verity-sign: where the root hash's signature is in the mini initramfs.
inline constexpr const char* kRootHashSigPath = "etc/initoverlayfs.roothash.p7s";

// `image_name`: the image's file name in the output directory; `image`:
// its verity parameters and EROFS UUID.
std::string config_text(const BuilderOptions& o, const BootTarget& target,
                        const std::string& image_name, const InputTree& input,
                        const BuiltImage& image);

}  // namespace iofs
