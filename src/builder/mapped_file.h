// A file mapped read-only into memory, for reading a large input (an
// initramfs) as a string_view without copying it onto the heap: its pages
// are the page cache's, read in as they are touched and dropped under
// memory pressure, so a multi-GiB input cannot exhaust the heap.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "core/sys.h"

namespace iofs {

class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path) {
    UniqueFd fd = TRY(sys::open(path, O_RDONLY));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return sys_error("stat", path);
    if (!S_ISREG(st.st_mode)) return fail("read", path + ": not a regular file");
    MappedFile m;
    if (st.st_size == 0) return m;
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (p == MAP_FAILED) return sys_error("mmap", path);
    ::madvise(p, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
    m.data_ = static_cast<const char*>(p);
    m.size_ = static_cast<size_t>(st.st_size);
    return m;
  }
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  MappedFile& operator=(MappedFile&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  std::string_view view() const { return {data_ ? data_ : "", size_}; }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace iofs
