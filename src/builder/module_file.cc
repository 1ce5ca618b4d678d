#include "builder/module_file.h"

#include <archive.h>

#include <algorithm>

#include "core/strings.h"

namespace iofs {

bool is_compressed_module(std::string_view path) {
  return path.ends_with(".ko.xz") || path.ends_with(".ko.zst") || path.ends_with(".ko.gz");
}

Result<std::string> decompress_module(std::string_view data, const std::string& path,
                                      size_t max_bytes) {
  struct archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_raw(a);
  std::string out;
  struct archive_entry* entry;
  int rc = archive_read_open_memory(a, data.data(), data.size());
  if (rc == ARCHIVE_OK) rc = archive_read_next_header(a, &entry);
  if (rc == ARCHIVE_OK) {
    char buf[65536];
    la_ssize_t n = 0;
    while (out.size() < max_bytes &&
           (n = archive_read_data(a, buf, std::min(sizeof buf, max_bytes - out.size()))) > 0)
      out.append(buf, static_cast<size_t>(n));
    if (out.size() < max_bytes && n < 0) rc = ARCHIVE_FATAL;
  }
  std::string why = rc == ARCHIVE_OK ? "" : (archive_error_string(a) ? archive_error_string(a) : "unreadable");
  archive_read_free(a);
  if (rc != ARCHIVE_OK) return fail("decompress module", str(path, ": ", why));
  return out;
}

Result<std::string> module_object_head(std::string_view data, const std::string& path,
                                       size_t bytes) {
  if (!is_compressed_module(path)) return std::string(data.substr(0, bytes));
  return decompress_module(data, path, bytes);
}

}  // namespace iofs
