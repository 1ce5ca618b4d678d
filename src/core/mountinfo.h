// /proc/PID/mountinfo, as far as the early-boot program needs it: which
// mount is mounted on which. Format (proc(5)): one mount per line,
// "ID PARENT_ID MAJOR:MINOR ROOT MOUNT_POINT OPTIONS ... - TYPE SOURCE SUPER".
#pragma once

#include <map>
#include <string_view>

namespace iofs {

// Mount ID -> parent mount ID. Lines that do not start with two numbers
// are skipped.
std::map<int, int> parse_mount_parents(std::string_view mountinfo);

// Whether `ancestor` is `id` or one of the mounts `id` is mounted under.
// Stops at a mount whose parent is not listed (the reader's root) and on a
// loop in a garbled table.
bool mount_is_within(const std::map<int, int>& parents, int id, int ancestor);

}  // namespace iofs
