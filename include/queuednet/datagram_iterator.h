/// @file
/// Public header. DatagramIterator: reads Panda3D element encodings back out of a Datagram.
///
/// A read that would pass the end throws queuednet::DatagramError naming what was wanted, the
/// offset and how many bytes remained, and leaves the position unchanged (Panda3D asserts and
/// returns 0, or with NDEBUG reads out of bounds). Length-prefixed reads are all-or-nothing.
///
/// The iterator holds a pointer to the datagram, which must outlive it and not be modified while
/// it is iterated. Thread safety: distinct objects safe; one object not thread safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "queuednet/datagram.h"

namespace queuednet {

class DatagramIterator {
 public:
  DatagramIterator() = default;
  /// Throws DatagramError if offset is past the end.
  explicit DatagramIterator(const Datagram &datagram, size_t offset = 0);

  bool get_bool() { return get_uint8() != 0; }
  int8_t get_int8() { return static_cast<int8_t>(get_uint8()); }
  uint8_t get_uint8() { return static_cast<uint8_t>(get_le<uint8_t>("uint8")); }
  int16_t get_int16() { return static_cast<int16_t>(get_le<uint16_t>("int16")); }
  int32_t get_int32() { return static_cast<int32_t>(get_le<uint32_t>("int32")); }
  int64_t get_int64() { return static_cast<int64_t>(get_le<uint64_t>("int64")); }
  uint16_t get_uint16() { return get_le<uint16_t>("uint16"); }
  uint32_t get_uint32() { return get_le<uint32_t>("uint32"); }
  uint64_t get_uint64() { return get_le<uint64_t>("uint64"); }
  float get_float32();
  double get_float64();
  /// float32 or float64 according to the iterated datagram's stdfloat flag.
  double get_stdfloat();

  int16_t get_be_int16() { return static_cast<int16_t>(get_be<uint16_t>("be_int16")); }
  int32_t get_be_int32() { return static_cast<int32_t>(get_be<uint32_t>("be_int32")); }
  int64_t get_be_int64() { return static_cast<int64_t>(get_be<uint64_t>("be_int64")); }
  uint16_t get_be_uint16() { return get_be<uint16_t>("be_uint16"); }
  uint32_t get_be_uint32() { return get_be<uint32_t>("be_uint32"); }
  uint64_t get_be_uint64() { return get_be<uint64_t>("be_uint64"); }
  float get_be_float32();
  double get_be_float64();

  /// Next int16/uint16 without advancing.
  int16_t peek_int16();
  uint16_t peek_uint16();

  std::string get_string();
  std::string get_string32();
  /// Throws DatagramError if there is no terminating NUL.
  std::string get_z_string();
  /// Consumes exactly `size` bytes; the result stops at the first NUL.
  std::string get_fixed_string(size_t size);
  std::wstring get_wstring();
  vector_uchar get_blob();
  vector_uchar get_blob32();

  void skip_bytes(size_t size);
  vector_uchar extract_bytes(size_t size);
  /// Everything from the current position to the end (does not advance).
  std::string get_remaining_bytes() const;
  size_t get_remaining_size() const;
  const Datagram &get_datagram() const;
  size_t get_current_index() const { return index_; }
  void output(std::ostream &out) const;
  void write(std::ostream &out, unsigned int indent = 0) const;

 private:
  // Throws unless `size` bytes remain; `what` names the element for the message.
  const unsigned char *need(size_t size, const char *what) const;
  template <class U>
  U get_le(const char *what) {
    const unsigned char *p = need(sizeof(U), what);
    U v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(static_cast<U>(p[i]) << (8 * i));
    index_ += sizeof(U);
    return v;
  }
  template <class U>
  U get_be(const char *what) {
    const unsigned char *p = need(sizeof(U), what);
    U v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>((v << 8) | p[i]);
    index_ += sizeof(U);
    return v;
  }
  std::string get_prefixed_string(size_t prefix, const char *what);

  const Datagram *datagram_ = nullptr;
  size_t index_ = 0;
};

std::ostream &operator<<(std::ostream &out, const DatagramIterator &it);

}  // namespace queuednet
