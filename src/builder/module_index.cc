// Parsing depmod's text output and closing a set of module names over it.
// File formats: see module_index.h and depmod(8), modules.dep(5),
// modprobe.d(5) ("softdep"); kmod's libkmod-config.c is the reference for
// how modprobe reads soft dependencies.
#include "builder/module_index.h"

#include <algorithm>

#include "core/strings.h"
#include "core/sys.h"

namespace iofs {

std::string normalize_module_name(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

namespace {

// Where a parse error is: "modules.dep" + " line 7: ...".
struct LineCursor {
  std::string_view file;
  int lineno = 0;

  std::unexpected<Error> error(std::string_view what) const {
    return fail(std::string(file), str("line ", lineno, ": ", what));
  }
};

// depmod writes plain ASCII text; anything else means a damaged file.
bool has_binary(std::string_view line) {
  for (unsigned char c : line)
    if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) return true;
  return false;
}

// The compressions the kernel's in-kernel decompressor and kmod know.
bool has_module_suffix(std::string_view name) {
  for (std::string_view suffix : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"})
    if (name.size() > suffix.size() && name.ends_with(suffix)) return true;
  return false;
}

// Relative, no "." or ".." segments, a module file name at the end.
bool valid_module_path(std::string_view p) {
  if (p.empty() || p.starts_with('/') || !has_module_suffix(p)) return false;
  size_t pos = 0;
  while (true) {
    size_t next = p.find('/', pos);
    std::string_view seg = p.substr(pos, next == p.npos ? p.npos : next - pos);
    if (seg.empty() || seg == "." || seg == "..") return false;
    if (next == p.npos) return true;
    pos = next + 1;
  }
}

bool is_glob(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

// Calls fn(cursor, trimmed line) for every line that is not blank or a
// comment; stops at the first error.
template <class Fn>
Result<void> for_each_line(std::string_view text, std::string_view file, Fn fn) {
  LineCursor cur{file, 0};
  for (std::string_view raw : split_lines(text)) {
    ++cur.lineno;
    if (has_binary(raw)) return cur.error("binary data where text was expected");
    std::string_view line = trim(raw);
    if (line.empty() || line.starts_with('#')) continue;
    TRY(fn(cur, line));
  }
  return {};
}

Result<void> parse_dep(std::string_view text, ModuleIndex& index) {
  struct PendingDeps {
    int lineno;
    size_t module;
    std::vector<std::string_view> paths;
  };
  std::vector<PendingDeps> pending;
  std::unordered_map<std::string_view, size_t> by_path;
  TRY(for_each_line(text, "modules.dep", [&](const LineCursor& cur,
                                              std::string_view line) -> Result<void> {
    size_t colon = line.find(':');
    if (colon == line.npos) return cur.error("no ':' after the module path");
    std::string_view path = trim(line.substr(0, colon));
    if (!valid_module_path(path))
      return cur.error(str("bad module path '", path, "'"));
    std::vector<std::string_view> deps = split_words(line.substr(colon + 1));
    for (std::string_view dep : deps)
      if (!valid_module_path(dep))
        return cur.error(str("bad dependency path '", dep, "' of ", path));
    std::string name = module_name(path);
    if (index.by_name.contains(name))
      return cur.error(str("module ", name, " listed twice"));
    size_t id = index.modules.size();
    index.by_name.emplace(std::move(name), id);
    by_path.emplace(path, id);
    index.modules.push_back({std::string(path), {}});
    pending.push_back({cur.lineno, id, std::move(deps)});
    return {};
  }));
  // The last line of a file cut short has no end of line; depmod always
  // writes one, and a module line silently missing its last dependencies
  // would only show up at boot as "Unknown symbol".
  if (!text.empty() && !text.ends_with('\n')) {
    int lines = static_cast<int>(split_lines(text).size());
    return LineCursor{"modules.dep", lines}.error(
        "no end of line, the file looks truncated; run depmod again");
  }
  for (const PendingDeps& p : pending) {
    for (std::string_view dep : p.paths) {
      auto it = by_path.find(dep);
      if (it == by_path.end())
        return LineCursor{"modules.dep", p.lineno}.error(
            str("dependency ", dep, " of ", index.modules[p.module].path,
                " has no line of its own (truncated file?)"));
      index.modules[p.module].deps.push_back(it->second);
    }
  }
  return {};
}

Result<void> parse_builtin(std::string_view text, ModuleIndex& index) {
  return for_each_line(text, "modules.builtin", [&](const LineCursor& cur,
                                                     std::string_view line) -> Result<void> {
    if (!valid_module_path(line))
      return cur.error(str("bad module path '", line, "'"));
    index.builtin.insert(module_name(line));
    return {};
  });
}

// "softdep NAME [pre: A B...] [post: C...]". Like kmod, words before the
// first "pre:"/"post:" are ignored: some modules declare MODULE_SOFTDEP("gcm")
// without a keyword and depmod copies it as "softdep cifs gcm".
Result<void> parse_softdep(std::string_view text, ModuleIndex& index) {
  return for_each_line(text, "modules.softdep", [&](const LineCursor& cur,
                                                     std::string_view line) -> Result<void> {
    std::vector<std::string_view> words = split_words(line);
    if (words[0] != "softdep")
      return cur.error(str("expected 'softdep', found '", words[0], "'"));
    if (words.size() < 2) return cur.error("'softdep' without a module name");
    enum class Mode { kNone, kPre, kPost } mode = Mode::kNone;
    auto& pre = index.softdeps_pre[normalize_module_name(words[1])];
    for (size_t i = 2; i < words.size(); ++i) {
      if (words[i] == "pre:")
        mode = Mode::kPre;
      else if (words[i] == "post:")
        mode = Mode::kPost;
      else if (mode == Mode::kPre)
        pre.emplace_back(words[i]);
    }
    return {};
  });
}

// "alias PATTERN MODULE". Only exact patterns are kept: names asked for by
// the builder and by soft dependencies are never matched against globs
// (those are device ids: "pci:v00001AF4d00001001sv*..."). A pattern may
// hold spaces — depmod writes MODULE_ALIAS() strings as they are, and
// Debian 13's arm64 6.12 has "alias mt8183_mt6358_ts3a227_max98357 soc card
// mt8183_mt6358_ts3a227_max98357" — the module, a name, is the last word.
// No module name has a space, so such a pattern is never asked for.
Result<void> parse_alias(std::string_view text, ModuleIndex& index) {
  return for_each_line(text, "modules.alias", [&](const LineCursor& cur,
                                                   std::string_view line) -> Result<void> {
    std::vector<std::string_view> words = split_words(line);
    if (words.size() < 3 || words[0] != "alias")
      return cur.error("expected 'alias PATTERN MODULE'");
    if (words.size() > 3 || is_glob(words[1])) return {};
    auto& providers = index.aliases[normalize_module_name(words[1])];
    std::string module = normalize_module_name(words[2]);
    if (std::find(providers.begin(), providers.end(), module) == providers.end())
      providers.push_back(std::move(module));
    return {};
  });
}

// NUL-separated "MODULE.KEY=VALUE" records (the .modinfo section of vmlinux).
Result<void> parse_builtin_modinfo(std::string_view text, ModuleIndex& index) {
  size_t record = 0;
  while (!text.empty()) {
    ++record;
    size_t nul = text.find('\0');
    std::string_view entry = text.substr(0, nul);
    text.remove_prefix(nul == text.npos ? text.size() : nul + 1);
    if (entry.empty()) continue;
    size_t dot = entry.find('.');
    size_t eq = entry.find('=');
    if (dot == entry.npos || eq == entry.npos || dot > eq)
      return fail("modules.builtin.modinfo",
                  str("record ", record, ": expected MODULE.KEY=VALUE"));
    if (entry.substr(dot + 1, eq - dot - 1) != "alias") continue;
    std::string_view alias = entry.substr(eq + 1);
    if (!alias.empty() && !is_glob(alias))
      index.builtin_aliases.insert(normalize_module_name(alias));
  }
  return {};
}

}  // namespace

Result<ModuleIndex> parse_module_index(std::string_view modules_dep,
                                       std::string_view modules_builtin,
                                       std::string_view modules_softdep,
                                       std::string_view modules_alias,
                                       std::string_view modules_builtin_modinfo) {
  ModuleIndex index;
  TRY(parse_dep(modules_dep, index));
  TRY(parse_builtin(modules_builtin, index));
  TRY(parse_softdep(modules_softdep, index));
  TRY(parse_alias(modules_alias, index));
  TRY(parse_builtin_modinfo(modules_builtin_modinfo, index));
  return index;
}

Result<ModuleIndex> load_module_index(const std::string& moddir) {
  auto dep = sys::read_file(moddir + "/modules.dep");
  if (!dep) {
    Error e = dep.error();
    if (e.err == ENOENT) {
      std::string_view kver = moddir;
      while (kver.size() > 1 && kver.ends_with('/')) kver.remove_suffix(1);
      kver.remove_prefix(kver.rfind('/') + 1);  // npos + 1 == 0
      e.detail += str(" (run 'depmod ", kver, "' to create it)");
    }
    return std::unexpected(e);
  }
  // The others may be absent (a kernel with nothing built in, no soft
  // dependencies, an older depmod): treat them as empty.
  auto optional = [&](const char* file) -> Result<std::string> {
    auto text = sys::read_file(moddir + "/" + file);
    if (!text && text.error().err == ENOENT) return std::string();
    return text;
  };
  std::string builtin = TRY(optional("modules.builtin"));
  std::string softdep = TRY(optional("modules.softdep"));
  std::string alias = TRY(optional("modules.alias"));
  std::string modinfo = TRY(optional("modules.builtin.modinfo"));
  auto index = parse_module_index(*dep, builtin, softdep, alias, modinfo);
  if (!index) {
    Error e = index.error();
    e.op = moddir + "/" + e.op;
    return std::unexpected(e);
  }
  return index;
}

namespace {

enum class Resolution { kModules, kBuiltin, kNothing };

struct Resolved {
  Resolution kind = Resolution::kNothing;
  std::vector<size_t> modules;
};

// The lookup order of modprobe (module name, built-in, alias), except that
// an alias a built-in module already provides needs nothing loaded: the
// kernel would find it registered and not ask for a module either.
Resolved resolve_name(const ModuleIndex& index, std::string_view name) {
  std::string n = normalize_module_name(name);
  if (auto it = index.by_name.find(n); it != index.by_name.end())
    return {Resolution::kModules, {it->second}};
  if (index.builtin.contains(n) || index.builtin_aliases.contains(n))
    return {Resolution::kBuiltin, {}};
  auto it = index.aliases.find(n);
  if (it == index.aliases.end()) return {};
  Resolved r;
  for (const std::string& provider : it->second) {
    if (index.builtin.contains(provider)) return {Resolution::kBuiltin, {}};
    if (auto m = index.by_name.find(provider); m != index.by_name.end())
      r.modules.push_back(m->second);
  }
  if (!r.modules.empty()) r.kind = Resolution::kModules;
  return r;
}

// Places modules depth-first, dependencies before users.
class ClosureBuilder {
 public:
  explicit ClosureBuilder(const ModuleIndex& index)
      : index_(index),
        state_(index.modules.size(), State::kUnvisited),
        plan_pos_(index.modules.size(), 0) {}

  void place(size_t module) {
    if (state_[module] == State::kUnvisited) visit(module);
  }

  ModuleClosure& closure() { return out_; }

 private:
  enum class State { kUnvisited, kInProgress, kPlaced };

  void visit(size_t m) {
    state_[m] = State::kInProgress;
    std::vector<size_t> deps, soft;
    for (size_t d : index_.modules[m].deps) follow(d, deps);
    auto sd = index_.softdeps_pre.find(module_name(index_.modules[m].path));
    if (sd != index_.softdeps_pre.end()) {
      for (const std::string& name : sd->second) {
        Resolved r = resolve_name(index_, name);
        for (size_t p : r.modules) follow(p, soft);
      }
    }
    plan_pos_[m] = out_.plan.size();
    // A module that is both a hard and a soft dependency is a hard one.
    std::erase_if(soft, [&](size_t s) { return std::find(deps.begin(), deps.end(), s) != deps.end(); });
    out_.plan.push_back({index_.modules[m].path, std::move(deps), std::move(soft)});
    state_[m] = State::kPlaced;
  }

  // An edge from the module being placed to `d`. An edge to a module that
  // is itself still being placed closes a cycle and is dropped.
  void follow(size_t d, std::vector<size_t>& edges) {
    if (state_[d] == State::kUnvisited) visit(d);
    if (state_[d] != State::kPlaced) return;
    size_t pos = plan_pos_[d];
    if (std::find(edges.begin(), edges.end(), pos) == edges.end()) edges.push_back(pos);
  }

  const ModuleIndex& index_;
  std::vector<State> state_;
  std::vector<size_t> plan_pos_;
  ModuleClosure out_;
};

void add_unique(std::vector<std::string>& list, const std::string& s) {
  if (std::find(list.begin(), list.end(), s) == list.end()) list.push_back(s);
}

}  // namespace

ModuleClosure resolve_modules(const ModuleIndex& index,
                              const std::vector<std::string>& names) {
  ClosureBuilder builder(index);
  for (const std::string& name : names) {
    Resolved r = resolve_name(index, name);
    switch (r.kind) {
      case Resolution::kModules:
        for (size_t m : r.modules) builder.place(m);
        break;
      case Resolution::kBuiltin:
        add_unique(builder.closure().builtin, name);
        break;
      case Resolution::kNothing:
        add_unique(builder.closure().missing, name);
        break;
    }
  }
  return std::move(builder.closure());
}

std::vector<std::string> generic_storage_drivers() {
  return {
      // Virtual machines.
      "virtio_blk", "virtio_scsi", "virtio_pci",
      // Local disks: NVMe, SATA (AHCI), anything that shows up as SCSI.
      "nvme", "ahci", "sd_mod",
      // USB sticks and disks.
      "usb_storage", "uas", "xhci_pci", "ehci_pci",
      // SD cards and eMMC.
      "mmc_block", "sdhci_pci", "sdhci_acpi",
      // The image: a loop device when it cannot be mounted from the file
      // directly, EROFS, and the writable overlay on top.
      "loop", "erofs", "overlay",
  };
}

}  // namespace iofs
