// Internal. DatagramIterator reads with bounds checks.
#include "queuednet/datagram_iterator.h"

#include <bit>
#include <ostream>

#include "queuednet/error.h"

namespace queuednet {

DatagramIterator::DatagramIterator(const Datagram &datagram, size_t offset)
    : datagram_(&datagram), index_(offset) {
  if (offset > datagram.get_length()) {
    throw DatagramError("DatagramIterator offset " + std::to_string(offset) + " is past the end of a " +
                        std::to_string(datagram.get_length()) + "-byte datagram");
  }
}

const unsigned char *DatagramIterator::need(size_t size, const char *what) const {
  if (datagram_ == nullptr) throw DatagramError(std::string("read of ") + what + " from a DatagramIterator with no datagram");
  const size_t remaining = get_remaining_size();
  if (size > remaining) {
    throw DatagramError(std::string("read past end of datagram: wanted ") + std::to_string(size) +
                        " byte(s) for " + what + " at offset " + std::to_string(index_) + ", " +
                        std::to_string(remaining) + " remained");
  }
  return datagram_->get_array().data() + index_;
}

float DatagramIterator::get_float32() { return std::bit_cast<float>(get_le<uint32_t>("float32")); }
double DatagramIterator::get_float64() { return std::bit_cast<double>(get_le<uint64_t>("float64")); }
float DatagramIterator::get_be_float32() { return std::bit_cast<float>(get_be<uint32_t>("be_float32")); }
double DatagramIterator::get_be_float64() { return std::bit_cast<double>(get_be<uint64_t>("be_float64")); }

double DatagramIterator::get_stdfloat() {
  return get_datagram().get_stdfloat_double() ? get_float64() : get_float32();
}

int16_t DatagramIterator::peek_int16() { return static_cast<int16_t>(peek_uint16()); }

uint16_t DatagramIterator::peek_uint16() {
  const size_t saved = index_;
  const uint16_t v = get_le<uint16_t>("peek_uint16");
  index_ = saved;
  return v;
}

std::string DatagramIterator::get_prefixed_string(size_t prefix, const char *what) {
  const size_t saved = index_;
  const size_t size = prefix == 2 ? get_uint16() : get_uint32();
  try {
    const unsigned char *p = need(size, what);
    index_ += size;
    return {reinterpret_cast<const char *>(p), size};
  } catch (...) {
    index_ = saved;  // all-or-nothing: the prefix is not consumed either
    throw;
  }
}

std::string DatagramIterator::get_string() { return get_prefixed_string(2, "string body"); }
std::string DatagramIterator::get_string32() { return get_prefixed_string(4, "string32 body"); }

std::string DatagramIterator::get_z_string() {
  const size_t remaining = get_remaining_size();
  const unsigned char *p = need(0, "z_string");
  for (size_t i = 0; i < remaining; ++i) {
    if (p[i] == 0) {
      index_ += i + 1;
      return {reinterpret_cast<const char *>(p), i};
    }
  }
  throw DatagramError("read past end of datagram: z_string at offset " + std::to_string(index_) +
                      " has no terminating NUL in the " + std::to_string(remaining) + " byte(s) that remained");
}

std::string DatagramIterator::get_fixed_string(size_t size) {
  const unsigned char *p = need(size, "fixed_string");
  index_ += size;
  size_t n = 0;
  while (n < size && p[n] != 0) ++n;
  return {reinterpret_cast<const char *>(p), n};
}

std::wstring DatagramIterator::get_wstring() {
  const size_t saved = index_;
  const uint32_t count = get_uint32();
  if (static_cast<uint64_t>(count) * 2 > get_remaining_size()) {
    index_ = saved;
    need(static_cast<size_t>(count) * 2 + 4, "wstring");  // throws with the full picture
  }
  std::wstring out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) out.push_back(static_cast<wchar_t>(get_uint16()));
  return out;
}

vector_uchar DatagramIterator::get_blob() {
  const std::string s = get_prefixed_string(2, "blob body");
  return {s.begin(), s.end()};
}

vector_uchar DatagramIterator::get_blob32() {
  const std::string s = get_prefixed_string(4, "blob32 body");
  return {s.begin(), s.end()};
}

void DatagramIterator::skip_bytes(size_t size) {
  need(size, "skip_bytes");
  index_ += size;
}

vector_uchar DatagramIterator::extract_bytes(size_t size) {
  const unsigned char *p = need(size, "extract_bytes");
  index_ += size;
  return {p, p + size};
}

std::string DatagramIterator::get_remaining_bytes() const {
  if (datagram_ == nullptr) return {};
  return {reinterpret_cast<const char *>(datagram_->get_array().data()) + index_, get_remaining_size()};
}

size_t DatagramIterator::get_remaining_size() const {
  return datagram_ == nullptr ? 0 : datagram_->get_length() - index_;
}

const Datagram &DatagramIterator::get_datagram() const {
  if (datagram_ == nullptr) throw DatagramError("DatagramIterator has no datagram");
  return *datagram_;
}

void DatagramIterator::output(std::ostream &out) const {
  out << "DatagramIterator at " << index_ << " of " << (datagram_ ? datagram_->get_length() : 0);
}

void DatagramIterator::write(std::ostream &out, unsigned int indent) const {
  out << std::string(indent, ' ');
  output(out);
  out << '\n';
}

std::ostream &operator<<(std::ostream &out, const DatagramIterator &it) {
  it.output(out);
  return out;
}

}  // namespace queuednet
