// The version every program prints: project(VERSION) in CMakeLists.txt,
// which the build passes to everything that links iofs_core as IOFS_VERSION.
#pragma once

#ifndef IOFS_VERSION
#define IOFS_VERSION "unknown"
#endif

namespace iofs {

inline constexpr const char kVersion[] = IOFS_VERSION;

}  // namespace iofs
