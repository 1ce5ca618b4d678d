// modules.dep, .builtin, .softdep, .alias and .builtin.modinfo, then the
// closure of what the builder would ask for. The input holds the five files
// one after the other, each ended by "\" and one more byte
// (FuzzedDataProvider::ConsumeRandomLengthString).
#include <fuzzer/FuzzedDataProvider.h>

#include "builder/module_index.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::string dep = in.ConsumeRandomLengthString();
  std::string builtin = in.ConsumeRandomLengthString();
  std::string softdep = in.ConsumeRandomLengthString();
  std::string alias = in.ConsumeRandomLengthString();
  std::string modinfo = in.ConsumeRemainingBytesAsString();
  auto index = iofs::parse_module_index(dep, builtin, softdep, alias, modinfo);
  if (!index) return 0;
  std::vector<std::string> names = iofs::generic_storage_drivers();
  for (const auto& [name, i] : index->by_name) names.push_back(name);
  for (const auto& [name, providers] : index->aliases) names.push_back(name);
  auto closure = iofs::resolve_modules(*index, names);
  for (size_t i = 0; i < closure.plan.size(); ++i)
    for (size_t d : closure.plan[i].deps) FUZZ_CHECK(d < i);
  return 0;
}
