// Logging for the early-boot program: one record per write(2) to /dev/kmsg,
// formatted "<LEVEL>initoverlayfs: message" so the kernel stamps and routes
// it like its own messages (console if the level is below the loglevel).
// Records made before /dev/kmsg can be opened are kept and flushed once it
// is; if it never opens they go to stderr, which the kernel points at
// /dev/console for PID 1.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"

namespace iofs::log {

enum class Level { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// Opens /dev/kmsg and flushes what was logged before. Safe to call again.
bool open_kmsg();
// Sends records to stderr as "initoverlayfs: message" instead of kmsg
// (used when not running as PID 1, and by tests).
void use_stderr();
void set_debug(bool on);
bool debug_enabled();

void write(Level level, std::string_view message);

// /dev/kmsg refuses a record longer than 1024 bytes (EINVAL: devkmsg_write()
// in kernel/printk/printk.c), level and tag included. A longer message is
// sent as several records, cut at spaces where there are any, each after
// the first starting with "... " so a reader sees they belong together; no
// word is lost. The pieces, each at most max_bytes long:
std::vector<std::string> split_record(std::string_view message, size_t max_bytes);

template <class... Args>
void error(const Args&... args) { write(Level::error, str(args...)); }
template <class... Args>
void warning(const Args&... args) { write(Level::warning, str(args...)); }
template <class... Args>
void notice(const Args&... args) { write(Level::notice, str(args...)); }
template <class... Args>
void info(const Args&... args) { write(Level::info, str(args...)); }
template <class... Args>
void debug(const Args&... args) {
  if (debug_enabled()) write(Level::debug, str(args...));
}

}  // namespace iofs::log
