// Error-or-value results for initoverlayfs.
//
// The early-boot program runs as PID 1 and must never throw or exit, so every
// fallible step returns Result<T>: either the value or an Error naming the
// failing operation, its object and the errno. An Error prints as
//   mount /sysroot (overlay): Invalid argument (errno=22)
#pragma once

#include <cerrno>
#include <cstring>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace iofs {

struct Error {
  std::string op;      // the failing call or step: "mount", "open", "parse"
  std::string detail;  // what it acted on: "/sysroot (overlay)"
  int err = 0;         // errno, or 0 when the failure is not a system error

  std::string message() const {
    std::string s = op;
    if (!detail.empty()) {
      if (!s.empty()) s += ' ';
      s += detail;
    }
    if (err != 0) {
      s += ": ";
      s += std::strerror(err);
      s += " (errno=" + std::to_string(err) + ")";
    }
    return s;
  }
};

template <class T>
using Result = std::expected<T, Error>;

// The errno-carrying failure of a system call, captured right after the call.
inline std::unexpected<Error> sys_error(std::string op, std::string detail) {
  return std::unexpected(Error{std::move(op), std::move(detail), errno});
}

// A failure that is not a system error (bad input, missing thing).
inline std::unexpected<Error> fail(std::string op, std::string detail,
                                   int err = 0) {
  return std::unexpected(Error{std::move(op), std::move(detail), err});
}

}  // namespace iofs

// Unwraps a Result, or returns its Error from the enclosing function.
// Uses a GNU statement expression, which GCC and Clang both support.
#define TRY(expr)                                            \
  ({                                                         \
    auto&& try_result_ = (expr);                             \
    if (!try_result_)                                        \
      return std::unexpected(std::move(try_result_).error()); \
    std::move(try_result_).value();                          \
  })
