#include "core/mountinfo.h"

#include "core/strings.h"

namespace iofs {

std::map<int, int> parse_mount_parents(std::string_view mountinfo) {
  std::map<int, int> parents;
  for (std::string_view line : split_lines(mountinfo)) {
    auto words = split_words(line);
    if (words.size() < 2) continue;
    auto id = parse_int<int>(words[0]);
    auto parent = parse_int<int>(words[1]);
    if (id && parent) parents[*id] = *parent;
  }
  return parents;
}

bool mount_is_within(const std::map<int, int>& parents, int id, int ancestor) {
  for (size_t steps = 0; steps <= parents.size(); ++steps) {
    if (id == ancestor) return true;
    auto it = parents.find(id);
    if (it == parents.end() || it->second == id) return false;
    id = it->second;
  }
  return false;  // a cycle: only a garbled table has one
}

}  // namespace iofs
