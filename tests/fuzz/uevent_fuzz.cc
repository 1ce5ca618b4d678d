// A kobject uevent datagram as the netlink socket delivers it.
#include "fuzz.h"
#include "init/device_finder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view msg = as_text(data, size);
  iofs::Uevent e = iofs::parse_uevent(msg);
  for (std::string_view v : {e.action, e.subsystem, e.devname, e.modalias})
    FUZZ_CHECK(v.empty() || (v.data() >= msg.data() && v.data() + v.size() <= msg.data() + msg.size()));
  return 0;
}
