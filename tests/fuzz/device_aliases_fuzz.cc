// The device patterns of modules.alias for the modules of a plan. The input
// is a list of module names ended by "\" and one byte, then modules.alias.
#include <fuzzer/FuzzedDataProvider.h>

#include <set>
#include <sstream>

#include "builder/device_aliases.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::istringstream list(in.ConsumeRandomLengthString());
  std::set<std::string> names;
  for (std::string name; list >> name;) names.insert(name);
  std::string alias = in.ConsumeRemainingBytesAsString();
  (void)iofs::device_aliases(alias, names);
  return 0;
}
