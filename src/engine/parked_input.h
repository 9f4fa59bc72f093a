// Internal. ParkedInput: stream bytes a loop read but could not deliver yet (the reader's
// budget was used up, or the connection has no reader). They are decoded later from where
// they stand: consume() moves a read offset, so taking a budget's worth at a time out of a
// large backlog copies nothing (re-parking the rest on each resume made a flood of tiny
// frames cost time quadratic in the backlog). Space before the offset is reused once the
// backlog is gone, or when it is more than half the buffer.
// Thread contract: the owning loop's thread only.
#pragma once

#include <cstddef>
#include <cstring>

#include "engine/byte_buffer.h"

namespace queuednet::detail {

class ParkedInput {
 public:
  bool empty() const { return off_ == bytes_.size(); }
  size_t size() const { return bytes_.size() - off_; }
  // The bytes not taken yet; valid until the next append().
  const unsigned char *data() const { return bytes_.data() + off_; }
  void append(const unsigned char *data, size_t n) {
    if (off_ > 0 && off_ >= bytes_.size() / 2) compact();
    bytes_.append(data, n);
  }
  // The first `n` bytes (n <= size()) were delivered.
  void consume(size_t n) {
    off_ += n;
    if (off_ == bytes_.size()) clear();
  }
  void clear() {
    bytes_.clear_and_trim();  // a flood's backlog is not kept once it is gone
    off_ = 0;
  }
  // Empties it and lets its buffer go.
  void release() {
    bytes_.release();
    off_ = 0;
  }

 private:
  void compact() {
    const size_t left = size();
    std::memmove(bytes_.data(), bytes_.data() + off_, left);
    bytes_.clear();
    bytes_.append(left);  // the bytes just moved, now at the front
    off_ = 0;
  }

  ByteBuffer bytes_;
  size_t off_ = 0;
};

}  // namespace queuednet::detail
