// The mini initramfs's /etc/initoverlayfs.conf (core/config.h), as the
// options, the placement and the passes before decided it.
#pragma once

#include <optional>
#include <string>

#include "builder/boot_target.h"
#include "builder/input.h"
#include "builder/options.h"
#include "core/config.h"

namespace iofs {

// --verity-sign: where the root hash's signature is in the mini initramfs.
inline constexpr const char* kRootHashSigPath = "etc/initoverlayfs.roothash.p7s";

std::string config_text(const BuilderOptions& o, const BootTarget& target,
                        const std::string& image_name, const InputTree& input,
                        const std::optional<VerityConfig>& verity);

}  // namespace iofs
