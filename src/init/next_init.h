// Choosing the next init in service mode, before systemd switches root.
//
// systemd's switch-root tears the initramfs down before it executes the
// new root's init; a missing one there is a hang, not an error anyone can
// read. So the candidates are checked inside the new root first, and a
// missing one fails pre-initoverlayfs.service with a clear message.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace iofs {

// The first of `candidates` (handover.h init_candidates()) that is an
// executable regular file inside new_root, resolved as if new_root were
// "/" (absolute symlinks, such as a dracut initramfs's
// /init -> /usr/lib/systemd/systemd, resolve there). Fails naming each one
// tried and why, in the words of the init mode's exec_next_init().
Result<std::string> choose_next_init(const std::string& new_root,
                                     const std::vector<std::string>& candidates);

}  // namespace iofs
