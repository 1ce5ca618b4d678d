// The version every program prints: project(VERSION) in CMakeLists.txt,
// which the build passes to everything that links iofs_core as IOFS_VERSION.
#pragma once

#ifndef IOFS_VERSION
#define IOFS_VERSION "unknown"
#endif

namespace iofs {

inline constexpr const char kVersion[] = IOFS_VERSION;

// The early-boot program carries this string followed by kVersion, so that
// initoverlayfs-install --inspect reads its version from the file without
// running it (builder/inspect.h).
#define IOFS_EARLY_BOOT_VERSION_TAG "initoverlayfs-early-boot-version="

}  // namespace iofs
