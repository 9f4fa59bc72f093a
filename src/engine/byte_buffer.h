// Internal. ByteBuffer: a growable byte array for framed output and parked input. Unlike
// std::vector it never zero-fills what it is about to overwrite: append(n) hands out room for n
// more bytes, so framing a datagram is a header store and one copy, with no per-byte capacity
// checks. Its capacity is 256 bytes times a power of two; storage up to 1 MiB comes from and
// goes back to BufferPool::global() (buffer_pool.h), larger storage from malloc.
// Thread contract: none of its own; the owner's lock (ConnectionCore::output_lock) or its loop.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "engine/buffer_pool.h"

namespace queuednet::detail {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer &) = delete;
  ByteBuffer &operator=(const ByteBuffer &) = delete;
  ~ByteBuffer() { drop(data_, capacity_); }

  unsigned char *data() { return data_; }
  const unsigned char *data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  void clear() { size_ = 0; }
  void swap(ByteBuffer &o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }
  // Frees the storage (clear() keeps it).
  void release() {
    drop(data_, capacity_);
    data_ = nullptr;
    size_ = capacity_ = 0;
  }
  // Empties it; storage grown past kKeepCapacity (a burst's, a flood's) goes back to the pool
  // or to malloc, so a quiet connection holds at most that much.
  void clear_and_trim() {
    if (capacity_ > kKeepCapacity) {
      release();
    } else {
      clear();
    }
  }
  static constexpr size_t kKeepCapacity = size_t{4} << 10;

  // Storage for at least `n` bytes, in one allocation.
  void reserve(size_t n) {
    if (capacity_ < n) grow(n);
  }
  // Room for `n` more bytes at the end, which the caller fills; valid until the next append.
  unsigned char *append(size_t n) {
    if (capacity_ - size_ < n) grow(size_ + n);
    unsigned char *p = data_ + size_;
    size_ += n;
    return p;
  }
  void append(const unsigned char *bytes, size_t n) {
    if (n > 0) std::memcpy(append(n), bytes, n);
  }
  // Moves the first `n` bytes (n <= size()) into `to`, which is replaced.
  void take_front(size_t n, ByteBuffer &to) {
    to.clear();
    to.append(data_, n);
    std::memmove(data_, data_ + n, size_ - n);
    size_ -= n;
  }

 private:
  void grow(size_t needed) {
    size_t c = capacity_ < 256 ? 256 : capacity_ * 2;
    while (c < needed) c *= 2;
    void *p;
    if (!BufferPool::pooled(c) && !BufferPool::pooled(capacity_)) {
      p = std::realloc(data_, c);
      if (p == nullptr) throw std::bad_alloc();
    } else {
      p = BufferPool::pooled(c) ? BufferPool::global().take(c) : std::malloc(c);
      if (p == nullptr) throw std::bad_alloc();
      if (size_ > 0) std::memcpy(p, data_, size_);
      drop(data_, capacity_);
    }
    data_ = static_cast<unsigned char *>(p);
    capacity_ = c;
  }
  static void drop(unsigned char *data, size_t capacity) noexcept {
    if (data != nullptr && BufferPool::pooled(capacity)) {
      BufferPool::global().give(data, capacity);
    } else {
      std::free(data);
    }
  }

  unsigned char *data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace queuednet::detail
