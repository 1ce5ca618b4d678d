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

ModuleCmdline extract_module_cmdline(const std::vector<KernelParam>& params) {
  ModuleCmdline out;
  auto normalized = [](std::string_view name) {
    std::string s(name);
    for (char& c : s)
      if (c == '-') c = '_';
    return s;
  };
  for (const KernelParam& p : params) {
    size_t dot = p.key.find('.');
    if (dot == 0 || dot == std::string::npos || dot + 1 == p.key.size() ||
        p.key.find('.', dot + 1) != std::string::npos)
      continue;
    std::string_view module = std::string_view(p.key).substr(0, dot);
    std::string_view param = std::string_view(p.key).substr(dot + 1);
    if (module == "modprobe") {
      if (param != "blacklist" || !p.value) continue;
      std::string_view list = *p.value;
      while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view name = list.substr(0, comma);
        if (!name.empty()) out.blacklist.push_back(normalized(name));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
      continue;
    }
    std::string option(param);
    if (p.value) {
      // The parser dropped the quotes; finit_module's parser (the kernel's
      // next_arg() again) needs them back around a value with spaces.
      bool spaced = false;
      for (char c : *p.value) spaced = spaced || is_space(c);
      option += spaced ? str("=\"", *p.value, '"') : str('=', *p.value);
    }
    out.options.emplace_back(normalized(module), std::move(option));
  }
  return out;
}

}  // namespace iofs
