// modprobe.d through libkmod (kmod_new with our own config paths, then
// its kmod_config_get_* iterators). Why not kmod_module_get_options() and
// kmod_module_apply_filter(): libkmod always appends what it finds on the
// running kernel's /proc/cmdline (MODULE.PARAM=VALUE, modprobe.blacklist=)
// to the options and blacklists of the files (kmod_config_new() parses it
// last), and that is the build host's command line, not the one the
// target boots with. Those entries come last; a second context that reads
// no file holds only them, so the first N - k entries are the files'.
#include "builder/modprobe_config.h"

#include <fnmatch.h>
#include <libkmod.h>

#include <algorithm>
#include <memory>

#include "builder/module_index.h"
#include "core/strings.h"

namespace iofs {
namespace {

struct CtxUnref {
  void operator()(kmod_ctx* c) const { kmod_unref(c); }
};
struct IterFree {
  void operator()(kmod_config_iter* i) const { kmod_config_iter_free_iter(i); }
};
using Ctx = std::unique_ptr<kmod_ctx, CtxUnref>;
using Iter = std::unique_ptr<kmod_config_iter, IterFree>;

struct Entry {
  std::string key, value;
};

// The entries of one of the iterators, in libkmod's order.
std::vector<Entry> entries(kmod_ctx* ctx, kmod_config_iter* (*get)(const kmod_ctx*)) {
  std::vector<Entry> out;
  Iter it(get(ctx));
  if (!it) return out;
  while (kmod_config_iter_next(it.get())) {
    const char* k = kmod_config_iter_get_key(it.get());
    const char* v = kmod_config_iter_get_value(it.get());
    out.push_back({k ? k : "", v ? v : ""});
  }
  return out;
}

// The entries of `full` that came from files: without the trailing ones
// the build host's command line added (those `cmdline_only` holds).
std::vector<Entry> from_files(kmod_ctx* full, kmod_ctx* cmdline_only,
                              kmod_config_iter* (*get)(const kmod_ctx*)) {
  std::vector<Entry> all = entries(full, get);
  size_t host = entries(cmdline_only, get).size();
  all.resize(all.size() >= host ? all.size() - host : 0);
  return all;
}

Result<Ctx> new_context(const std::string& moddir, const std::vector<std::string>& dirs) {
  std::vector<const char*> paths;
  for (const std::string& d : dirs) paths.push_back(d.c_str());
  paths.push_back(nullptr);
  Ctx ctx(kmod_new(moddir.c_str(), paths.data()));
  if (!ctx) return fail("kmod_new", str(moddir, ": libkmod could not read the module configuration"));
  return ctx;
}

}  // namespace

std::vector<std::string> modprobe_dirs(const std::string& tree) {
  std::vector<std::string> out;
  for (const char* d : {"etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d",
                        "lib/modprobe.d", "usr/lib/modprobe.d"})
    out.push_back(str(tree, tree.ends_with('/') ? "" : "/", d));
  return out;
}

Result<ModprobeConfig> read_modprobe_config(const std::string& moddir,
                                            const std::vector<std::string>& dirs) {
  Ctx full = TRY(new_context(moddir, dirs));
  Ctx cmdline_only = TRY(new_context(moddir, {}));
  ModprobeConfig cfg;
  for (const Entry& e : from_files(full.get(), cmdline_only.get(), kmod_config_get_options)) {
    std::string options(trim(e.value));
    if (options.empty()) continue;
    std::string& to = cfg.options[normalize_module_name(e.key)];
    to += str(to.empty() ? "" : " ", options);
  }
  for (const Entry& e : from_files(full.get(), cmdline_only.get(), kmod_config_get_blacklists))
    cfg.blacklist.insert(normalize_module_name(e.key));
  // Neither commands nor soft dependencies come from the command line.
  for (const Entry& e : entries(full.get(), kmod_config_get_install_commands))
    cfg.install.emplace_back(e.key, e.value);
  for (const Entry& e : entries(full.get(), kmod_config_get_remove_commands))
    cfg.remove.emplace_back(e.key, e.value);
  // The kernel's own modules.softdep is read by both contexts (libkmod
  // reads it as a config file): what only the full one has is modprobe.d's.
  std::vector<Entry> softdeps = entries(full.get(), kmod_config_get_softdeps);
  for (const Entry& k : entries(cmdline_only.get(), kmod_config_get_softdeps)) {
    auto same = [&](const Entry& e) { return e.key == k.key && e.value == k.value; };
    if (auto it = std::find_if(softdeps.begin(), softdeps.end(), same); it != softdeps.end())
      softdeps.erase(it);
  }
  // libkmod gives a soft dependency back as "pre: A B post: C" — kmod 30
  // without the space before "post:" ("pre: A Bpost: C"); no module name
  // has a ':' in it, so a word ending in "post:" is both.
  for (const Entry& e : softdeps) {
    std::vector<std::string> pre;
    bool in_pre = false;
    for (std::string_view w : split_words(e.value)) {
      if (w == "pre:") {
        in_pre = true;
      } else if (w.ends_with("post:")) {
        if (in_pre && w.size() > 5) pre.emplace_back(w.substr(0, w.size() - 5));
        in_pre = false;
      } else if (in_pre) {
        pre.emplace_back(w);
      }
    }
    cfg.softdeps.emplace_back(e.key, std::move(pre));
  }
  return cfg;
}

const std::string* first_command(const std::vector<std::pair<std::string, std::string>>& commands,
                                 const std::string& module) {
  for (const auto& [pattern, command] : commands)
    if (::fnmatch(pattern.c_str(), module.c_str(), 0) == 0) return &command;
  return nullptr;
}

}  // namespace iofs
