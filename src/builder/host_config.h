// The builder's defaults on the host: /etc/initoverlayfs/install.conf.
//
// Not to be confused with /etc/initoverlayfs.conf inside a mini initramfs,
// which the early-boot program reads at boot (core/config.h): this file
// only ever lives on the host, and only initoverlayfs-install reads it.
// Its own name keeps the two apart, so that no initramfs generator that
// copies /etc/initoverlayfs.conf into an initramfs (as the original
// project's dracut module did) hands builder keys to the early-boot program.
//
// Format (initoverlayfs-install.conf(5)): one "key value" per line
// ("key=value" too), '#' starts a comment line. A key is a long option of
// initoverlayfs-install without its "--" (compression, lowerfs, drivers,
// set, ...); a flag option takes yes/no (or nothing, meaning yes). Options
// that name one run's inputs and outputs (kver, initramfs, rootdir, ...)
// are not keys. The key "hooks" (yes/no) switches the kernel and initramfs
// hooks on or off. Malformed lines and unknown keys are errors naming
// FILE:LINE: a builder runs where someone can read them, and a mistyped
// default would otherwise silently change how the machine boots.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace iofs {

struct HostConfig {
  std::vector<std::string> args;  // as command-line options, in file order
  bool hooks = true;              // "hooks no": the hooks do nothing
};

// Parses the file's text; `name` is used in error messages.
Result<HostConfig> parse_host_config(std::string_view text, const std::string& name);

struct BuilderOptions;

// Reads o.config_file unless o.no_config. A missing file is no defaults,
// unless --config named it.
Result<HostConfig> read_host_config(const BuilderOptions& o);

}  // namespace iofs
