// What systemd's private bus answers: messages one after the other, each
// framed by its fixed header, an ERROR's text read from its body.
#include "fuzz.h"
#include "init/systemd_bus.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = as_text(data, size);
  while (in.size() >= 16) {
    auto m = iofs::parse_bus_frame(in);
    if (!m) break;
    // request_switch_root reads until it has the whole message.
    if (m->total > in.size()) break;
    FUZZ_CHECK(m->total >= 16);  // or the reader makes no progress
    if (m->type == 3) (void)iofs::bus_error_text(in.substr(0, m->total), *m);
    in.remove_prefix(m->total);
  }
  return 0;
}
