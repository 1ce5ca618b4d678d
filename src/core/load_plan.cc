#include "core/load_plan.h"

#include <fnmatch.h>

#include <unordered_map>

#include "core/strings.h"

namespace iofs {

bool matches_device(const PlannedModule& m, std::string_view modalias) {
  if (m.blacklisted && !modalias.starts_with("devname:")) return false;
  std::string alias(modalias);
  for (const std::string& pattern : m.aliases)
    if (::fnmatch(pattern.c_str(), alias.c_str(), 0) == 0) return true;
  return false;
}

std::string module_name(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  size_t ko = path.find(".ko");
  if (ko != std::string_view::npos) path = path.substr(0, ko);
  std::string name(path);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

static bool valid_module_path(std::string_view p) {
  if (p.empty() || p.starts_with('/') || p.find(".ko") == std::string_view::npos)
    return false;
  // No way out of /lib/modules/KVER.
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t next = p.find('/', pos);
    std::string_view seg = p.substr(pos, next == std::string_view::npos ? p.npos : next - pos);
    if (seg == ".." || seg == "." || seg.empty()) return false;
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return true;
}

Result<std::vector<PlannedModule>> parse_load_plan(std::string_view text) {
  std::vector<PlannedModule> plan;
  std::unordered_map<std::string, size_t> index;
  int lineno = 0;
  for (std::string_view raw : split_lines(text)) {
    ++lineno;
    std::string_view line = trim(raw);
    if (line.empty() || line.starts_with('#')) continue;
    auto where = [&] { return str("line ", lineno); };
    auto keyword = [&](std::string_view kw) {
      return line.size() > kw.size() && line.starts_with(kw) && is_space(line[kw.size()]);
    };
    // The module a keyword line is about, listed on an earlier line.
    auto earlier = [&](std::string_view kw, std::string_view path) -> Result<PlannedModule*> {
      auto it = index.find(std::string(path));
      if (it == index.end())
        return fail("load plan", str(where(), ": ", kw, " for ", path,
                                     ", which is not listed before it"));
      return &plan[it->second];
    };
    // "options PATH REST": REST is kept as it is, spaces and quotes inside.
    if (keyword("options")) {
      std::string_view rest = trim(line.substr(7));
      size_t end = 0;
      while (end < rest.size() && !is_space(rest[end])) ++end;
      std::string_view path = rest.substr(0, end);
      std::string_view options = trim(rest.substr(end));
      if (options.empty())
        return fail("load plan", str(where(), ": expected 'options PATH PARAMETERS'"));
      for (char c : options)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
          return fail("load plan", str(where(), ": control character in the options of ", path));
      std::string& to = TRY(earlier("options", path))->options;
      to += str(to.empty() ? "" : " ", options);
      continue;
    }
    if (keyword("blacklist")) {
      auto words = split_words(line);
      if (words.size() != 2)
        return fail("load plan", str(where(), ": expected 'blacklist PATH'"));
      TRY(earlier("blacklist", words[1]))->blacklisted = true;
      continue;
    }
    if (keyword("alias")) {
      auto words = split_words(line);
      if (words.size() != 3)
        return fail("load plan", str(where(), ": expected 'alias PATTERN PATH'"));
      TRY(earlier("alias", words[2]))->aliases.emplace_back(words[1]);
      continue;
    }
    size_t colon = line.find(':');
    std::string_view path = trim(line.substr(0, colon));
    if (!valid_module_path(path))
      return fail("load plan", str(where(), ": bad module path '", path, "'"));
    if (index.contains(std::string(path)))
      return fail("load plan", str(where(), ": ", path, " listed twice"));
    PlannedModule m{std::string(path), {}, {}, {}};
    if (colon != std::string_view::npos) {
      bool soft = false;
      for (std::string_view dep : split_words(line.substr(colon + 1))) {
        if (dep == "pre:" && !soft) {
          soft = true;
          continue;
        }
        auto it = index.find(std::string(dep));
        if (it == index.end())
          return fail("load plan", str(where(), ": dependency ", dep,
                                       " of ", path, " is not listed before it"));
        (soft ? m.after : m.deps).push_back(it->second);
      }
    }
    index.emplace(m.path, plan.size());
    plan.push_back(std::move(m));
  }
  return plan;
}

std::string format_load_plan(const std::vector<PlannedModule>& plan) {
  std::string out =
      "# initoverlayfs module load plan: PATH: DEPENDENCIES pre: SOFT DEPENDENCIES\n";
  for (const PlannedModule& m : plan) {
    out += m.path;
    out += ':';
    for (size_t d : m.deps) out += str(' ', plan[d].path);
    if (!m.after.empty()) out += " pre:";
    for (size_t d : m.after) out += str(' ', plan[d].path);
    out += '\n';
    for (const std::string& a : m.aliases) out += str("alias ", a, ' ', m.path, '\n');
    if (!trim(m.options).empty()) {
      std::string options(trim(m.options));
      for (char& c : options)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = ' ';
      out += str("options ", m.path, ' ', options, '\n');
    }
    if (m.blacklisted) out += str("blacklist ", m.path, '\n');
  }
  return out;
}

void apply_module_cmdline(std::vector<PlannedModule>& plan, const ModuleCmdline& cmdline) {
  for (PlannedModule& m : plan) {
    const std::string name = module_name(m.path);
    for (const auto& [module, option] : cmdline.options)
      if (module == name) m.options += str(m.options.empty() ? "" : " ", option);
    for (const std::string& b : cmdline.blacklist)
      if (b == name) m.blacklisted = true;
  }
}

}  // namespace iofs
