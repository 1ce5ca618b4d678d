#include "core/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <mutex>
#include <utility>
#include <vector>

#include "core/unique_fd.h"

namespace iofs::log {
namespace {

constexpr std::string_view kTag = "initoverlayfs: ";
// The kernel's limit for one record, less "<N>", the tag and the newline.
constexpr size_t kRecordMax = 1024;
constexpr size_t kMessageMax = kRecordMax - 4 - kTag.size() - 1;
constexpr std::string_view kContinued = "... ";

// The kernel rate-limits writes to /dev/kmsg per open file: a burst of 10
// records per 5 s, the rest silently dropped unless printk.devkmsg=on (see
// devkmsg_write() in kernel/printk/printk.c). Boot diagnostics from PID 1 are
// exactly what must not be lost, so the file is reopened before the burst is
// used up; each open gets a fresh budget.
constexpr int kRecordsPerOpen = 9;

enum class Sink { pending, kmsg, stderr_ };

struct State {
  std::mutex mu;
  Sink sink = Sink::pending;
  UniqueFd kmsg;
  int records_on_fd = 0;
  bool debug = false;
  std::vector<std::pair<Level, std::string>> pending;
};

State& state() {
  static State s;
  return s;
}

UniqueFd open_kmsg_fd() {
  return UniqueFd(::open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY));
}

void emit_one_locked(State& s, Level level, std::string_view message) {
  std::string rec;
  if (s.sink == Sink::kmsg) {
    if (s.records_on_fd >= kRecordsPerOpen) {
      if (UniqueFd fd = open_kmsg_fd(); fd.valid()) {
        s.kmsg = std::move(fd);
        s.records_on_fd = 0;
      }
    }
    rec = str('<', static_cast<int>(level), '>', kTag, message, '\n');
    ++s.records_on_fd;
    if (::write(s.kmsg.get(), rec.data(), rec.size()) >= 0) return;
  }
  rec = str(kTag, message, '\n');
  (void)!::write(STDERR_FILENO, rec.data(), rec.size());
}

void emit_locked(State& s, Level level, std::string_view message) {
  if (message.size() <= kMessageMax) return emit_one_locked(s, level, message);
  for (const std::string& piece : split_record(message, kMessageMax))
    emit_one_locked(s, level, piece);
}

}  // namespace

bool open_kmsg() {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (s.sink == Sink::kmsg) return true;
  UniqueFd fd = open_kmsg_fd();
  if (!fd.valid()) return false;
  s.kmsg = std::move(fd);
  s.sink = Sink::kmsg;
  for (auto& [level, msg] : s.pending) emit_locked(s, level, msg);
  s.pending.clear();
  return true;
}

void use_stderr() {
  State& s = state();
  std::lock_guard lock(s.mu);
  s.sink = Sink::stderr_;
  for (auto& [level, msg] : s.pending) emit_locked(s, level, msg);
  s.pending.clear();
}

std::vector<std::string> split_record(std::string_view message, size_t max_bytes) {
  std::vector<std::string> pieces;
  if (max_bytes <= kContinued.size()) max_bytes = kContinued.size() + 1;
  while (!message.empty()) {
    std::string_view prefix = pieces.empty() ? "" : kContinued;
    size_t room = max_bytes - prefix.size();
    if (message.size() <= room) {
      pieces.push_back(str(prefix, message));
      break;
    }
    // The last space that fits; a word longer than a record is cut.
    size_t cut = message.rfind(' ', room);
    if (cut == std::string_view::npos || cut == 0) cut = room;
    pieces.push_back(str(prefix, message.substr(0, cut)));
    message.remove_prefix(cut);
    while (message.starts_with(' ')) message.remove_prefix(1);
  }
  return pieces;
}

void set_debug(bool on) { state().debug = on; }
bool debug_enabled() { return state().debug; }

void write(Level level, std::string_view message) {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (s.sink == Sink::pending) {
    s.pending.emplace_back(level, std::string(message));
    return;
  }
  emit_locked(s, level, message);
}

}  // namespace iofs::log
