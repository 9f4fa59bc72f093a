/// @file
/// Public header. Datagram: a growable byte buffer with Panda3D's element encodings
/// (little-endian by default, `be` variants big-endian; see docs/wire-format.md).
///
/// Thread safety: distinct objects are safe from any threads; one object is not thread safe
/// (like std::vector). Copies are independent values (modifying a copy never changes the
/// original, which is Panda3D's copy-on-write behaviour without the sharing).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace queuednet {

using vector_uchar = std::vector<unsigned char>;

class Datagram {
 public:
  Datagram() = default;
  Datagram(const void *data, size_t size);
  explicit Datagram(vector_uchar data) : data_(std::move(data)) {}
  explicit Datagram(std::string_view data);
  Datagram(const Datagram &) = default;
  Datagram(Datagram &&) noexcept = default;
  Datagram &operator=(const Datagram &) = default;
  Datagram &operator=(Datagram &&) noexcept = default;
  virtual ~Datagram() = default;

  /// Drops every byte (the stdfloat flag is kept).
  virtual void clear() { data_.clear(); }

  void add_bool(bool value) { add_uint8(value ? 1 : 0); }
  void add_int8(int8_t value) { data_.push_back(static_cast<unsigned char>(value)); }
  void add_uint8(uint8_t value) { data_.push_back(value); }
  void add_int16(int16_t value) { add_le(static_cast<uint16_t>(value)); }
  void add_int32(int32_t value) { add_le(static_cast<uint32_t>(value)); }
  void add_int64(int64_t value) { add_le(static_cast<uint64_t>(value)); }
  void add_uint16(uint16_t value) { add_le(value); }
  void add_uint32(uint32_t value) { add_le(value); }
  void add_uint64(uint64_t value) { add_le(value); }
  void add_float32(float value) { add_le(std::bit_cast<uint32_t>(value)); }
  void add_float64(double value) { add_le(std::bit_cast<uint64_t>(value)); }
  /// float32 unless set_stdfloat_double(true), then float64. The flag is not transmitted.
  void add_stdfloat(double value);

  void add_be_int16(int16_t value) { add_be(static_cast<uint16_t>(value)); }
  void add_be_int32(int32_t value) { add_be(static_cast<uint32_t>(value)); }
  void add_be_int64(int64_t value) { add_be(static_cast<uint64_t>(value)); }
  void add_be_uint16(uint16_t value) { add_be(value); }
  void add_be_uint32(uint32_t value) { add_be(value); }
  void add_be_uint64(uint64_t value) { add_be(value); }
  void add_be_float32(float value) { add_be(std::bit_cast<uint32_t>(value)); }
  void add_be_float64(double value) { add_be(std::bit_cast<uint64_t>(value)); }

  /// uint16 length + bytes. Throws DatagramError (and appends nothing) past 65535 bytes;
  /// Panda3D appends nothing silently, producing a datagram its reader mis-parses.
  void add_string(std::string_view str);
  /// uint32 length + bytes.
  void add_string32(std::string_view str);
  /// Bytes up to the first NUL, then a NUL.
  void add_z_string(std::string_view str);
  /// Exactly `size` bytes: truncated or zero-padded.
  void add_fixed_string(std::string_view str, size_t size);
  /// uint32 character count, then each character as uint16 (characters above 0xFFFF truncated).
  void add_wstring(std::wstring_view str);
  /// uint16 length + bytes; throws DatagramError past 65535 bytes, appending nothing.
  void add_blob(const vector_uchar &data);
  /// uint32 length + bytes.
  void add_blob32(const vector_uchar &data);

  /// Appends `size` zero bytes.
  void pad_bytes(size_t size) { data_.insert(data_.end(), size, 0); }
  void append_data(const void *data, size_t size);
  void append_data(const vector_uchar &data) { append_data(data.data(), data.size()); }
  void append_data(std::string_view data) { append_data(data.data(), data.size()); }

  /// The bytes as a std::string (Panda3D: Python bytes).
  std::string get_message() const { return {reinterpret_cast<const char *>(data_.data()), data_.size()}; }
  const void *get_data() const { return data_.data(); }
  size_t get_length() const { return data_.size(); }
  const vector_uchar &get_array() const { return data_; }
  vector_uchar &modify_array() { return data_; }
  void set_array(const unsigned char *data, size_t size) { data_.assign(data, data + size); }
  void copy_array(const vector_uchar &data) { data_ = data; }
  /// Takes the buffer without copying (queuednet addition).
  void set_array(vector_uchar &&data) { data_ = std::move(data); }

  void set_stdfloat_double(bool flag) { stdfloat_double_ = flag; }
  bool get_stdfloat_double() const { return stdfloat_double_; }

  /// Hex dump, 16 bytes a line: "%04x" offset, the bytes, two spaces, printable characters.
  void dump_hex(std::ostream &out, unsigned int indent = 0) const;
  /// Prints "Datagram" (as Panda3D does).
  void output(std::ostream &out) const;
  /// Prints output() then the hex dump.
  void write(std::ostream &out, unsigned int indent = 0) const;

  /// Byte equality and lexicographic order; the stdfloat flag is not compared.
  friend bool operator==(const Datagram &a, const Datagram &b) { return a.data_ == b.data_; }
  friend bool operator<(const Datagram &a, const Datagram &b) { return a.data_ < b.data_; }

 private:
  template <class U>
  void add_le(U value) {
    for (size_t i = 0; i < sizeof(U); ++i) data_.push_back(static_cast<unsigned char>(value >> (8 * i)));
  }
  template <class U>
  void add_be(U value) {
    for (size_t i = sizeof(U); i-- > 0;) data_.push_back(static_cast<unsigned char>(value >> (8 * i)));
  }

  vector_uchar data_;
  bool stdfloat_double_ = false;
};

std::ostream &operator<<(std::ostream &out, const Datagram &dg);

}  // namespace queuednet
