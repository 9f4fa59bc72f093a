// Internal. Datagram encodings that are not one-liners.
#include "queuednet/datagram.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <ostream>

#include "queuednet/error.h"

namespace queuednet {

Datagram::Datagram(const void *data, size_t size)
    : data_(static_cast<const unsigned char *>(data), static_cast<const unsigned char *>(data) + size) {}

Datagram::Datagram(std::string_view data) : Datagram(data.data(), data.size()) {}

void Datagram::add_stdfloat(double value) {
  if (stdfloat_double_) {
    add_float64(value);
  } else {
    add_float32(static_cast<float>(value));
  }
}

namespace {
void check_length16(size_t size, const char *what) {
  if (size > 0xFFFF) {
    throw DatagramError(std::string(what) + " of " + std::to_string(size) +
                        " bytes does not fit its 16-bit length prefix (max 65535); use the 32-bit form");
  }
}
}  // namespace

void Datagram::add_string(std::string_view str) {
  check_length16(str.size(), "add_string");
  add_uint16(static_cast<uint16_t>(str.size()));
  append_data(str.data(), str.size());
}

void Datagram::add_string32(std::string_view str) {
  add_uint32(static_cast<uint32_t>(str.size()));
  append_data(str.data(), str.size());
}

void Datagram::add_z_string(std::string_view str) {
  const size_t nul = str.find('\0');
  append_data(str.data(), nul == std::string_view::npos ? str.size() : nul);
  add_uint8(0);
}

void Datagram::add_fixed_string(std::string_view str, size_t size) {
  const size_t n = str.size() < size ? str.size() : size;
  append_data(str.data(), n);
  pad_bytes(size - n);
}

void Datagram::add_wstring(std::wstring_view str) {
  add_uint32(static_cast<uint32_t>(str.size()));
  for (wchar_t c : str) add_uint16(static_cast<uint16_t>(c));
}

void Datagram::add_blob(const vector_uchar &data) {
  check_length16(data.size(), "add_blob");
  add_uint16(static_cast<uint16_t>(data.size()));
  append_data(data);
}

void Datagram::add_blob32(const vector_uchar &data) {
  add_uint32(static_cast<uint32_t>(data.size()));
  append_data(data);
}

void Datagram::append_data(const void *data, size_t size) {
  if (size == 0) return;
  const auto *p = static_cast<const unsigned char *>(data);
  data_.insert(data_.end(), p, p + size);
}

void Datagram::dump_hex(std::ostream &out, unsigned int indent) const {
  char buf[24];  // "%04zx" of any offset
  for (size_t line = 0; line < data_.size(); line += 16) {
    out << std::string(indent, ' ');
    std::snprintf(buf, sizeof buf, "%04zx", line);
    out << buf;
    const size_t end = line + 16 < data_.size() ? line + 16 : data_.size();
    for (size_t i = line; i < line + 16; ++i) {
      if (i < end) {
        std::snprintf(buf, sizeof buf, " %02x", data_[i]);
        out << buf;
      } else {
        out << "   ";
      }
    }
    out << "  ";
    for (size_t i = line; i < end; ++i) out << (std::isprint(data_[i]) ? static_cast<char>(data_[i]) : '.');
    out << '\n';
  }
}

void Datagram::output(std::ostream &out) const { out << "Datagram"; }

void Datagram::write(std::ostream &out, unsigned int indent) const {
  out << std::string(indent, ' ');
  output(out);
  out << '\n';
  dump_hex(out, indent + 2);
}

std::ostream &operator<<(std::ostream &out, const Datagram &dg) {
  dg.output(out);
  return out;
}

}  // namespace queuednet
