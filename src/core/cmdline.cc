#include "core/cmdline.h"

#include "core/strings.h"

namespace iofs {

std::vector<KernelParam> parse_kernel_cmdline(std::string_view text) {
  std::vector<KernelParam> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size()) break;
    // Collect one parameter; quotes toggle a mode in which spaces do not
    // separate, and are themselves dropped, as the kernel does.
    std::string param;
    bool quoted = false;
    while (i < text.size() && (quoted || !is_space(text[i]))) {
      if (text[i] == '"')
        quoted = !quoted;
      else
        param += text[i];
      ++i;
    }
    if (param == "--") break;
    size_t eq = param.find('=');
    if (eq == std::string::npos)
      out.push_back({param, std::nullopt});
    else
      out.push_back({param.substr(0, eq), param.substr(eq + 1)});
  }
  return out;
}

CmdlineSettings extract_settings(const std::vector<KernelParam>& params) {
  constexpr std::string_view prefix = "initoverlayfs.";
  CmdlineSettings s;
  for (const KernelParam& p : params) {
    if (p.key == "rdinit" && p.value) s.rdinit = *p.value;
    if (p.key.starts_with(prefix) && p.key.size() > prefix.size())
      // A bare "initoverlayfs.debug" means "initoverlayfs.debug=" (on).
      s.overrides.emplace_back(p.key.substr(prefix.size()), p.value.value_or(""));
  }
  return s;
}

}  // namespace iofs
