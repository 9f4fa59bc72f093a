// libFuzzer target: DatagramIterator over random bytes with a random sequence of reads. Every
// get_* either returns or throws queuednet::DatagramError (anything else aborts); a throw leaves
// the position unchanged; a success advances by exactly the element's encoded size and returns
// what an independent decode of the same bytes gives; the remaining size always adds up.
//
// Input layout (FuzzedDataProvider): stdfloat flag, start offset, datagram bytes, then the reads
// (an opcode each, plus a size for the sized reads).
#include <fuzzer/FuzzedDataProvider.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "queuednet/datagram.h"
#include "queuednet/datagram_iterator.h"
#include "queuednet/error.h"

namespace {

using queuednet::Datagram;
using queuednet::DatagramError;
using queuednet::DatagramIterator;

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "datagram_iterator_fuzzer: invariant broken: %s\n", what);
  std::abort();
}
#define CHECK(cond) \
  do {              \
    if (!(cond)) fail(#cond); \
  } while (0)

// Independent little/big-endian decode of `n` bytes at `at` (the caller checked the bounds).
uint64_t le(const std::string &b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}
uint64_t be(const std::string &b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

// One read. The library call comes first; only once it succeeded are the same bytes decoded
// independently (bounds checked first, so a wrong success is reported, not read past).
// Returns the number of bytes the read should have consumed.
#define FIXED(expr, n, decode)        \
  {                                   \
    const auto v = (expr);            \
    CHECK((n) <= left);               \
    CHECK(v == decode(bytes, at, n)); \
    return n;                         \
  }
#define BITS(expr, n, decode, U)                            \
  {                                                         \
    const auto v = (expr);                                  \
    CHECK((n) <= left);                                     \
    CHECK(std::bit_cast<U>(v) == decode(bytes, at, n));     \
    return n;                                               \
  }
size_t read_one(DatagramIterator &it, int op, size_t arg, const std::string &bytes, size_t at, bool stdfloat_double) {
  const size_t left = bytes.size() - at;
  // Length-prefixed: `prefix` bytes of length, then that many bytes.
  auto prefixed = [&](const std::string &got, size_t prefix) {
    CHECK(prefix <= left);
    const size_t n = le(bytes, at, prefix);
    CHECK(n <= left - prefix);
    CHECK(got == bytes.substr(at + prefix, n));
    return prefix + n;
  };
  switch (op) {
    case 0: {
      const bool v = it.get_bool();
      CHECK(1 <= left);
      CHECK(v == (le(bytes, at, 1) != 0));
      return 1;
    }
    case 1: FIXED(static_cast<uint8_t>(it.get_int8()), 1, le);
    case 2: FIXED(it.get_uint8(), 1, le);
    case 3: FIXED(static_cast<uint16_t>(it.get_int16()), 2, le);
    case 4: FIXED(it.get_uint16(), 2, le);
    case 5: FIXED(static_cast<uint32_t>(it.get_int32()), 4, le);
    case 6: FIXED(it.get_uint32(), 4, le);
    case 7: FIXED(static_cast<uint64_t>(it.get_int64()), 8, le);
    case 8: FIXED(it.get_uint64(), 8, le);
    case 9: BITS(it.get_float32(), 4, le, uint32_t);
    case 10: BITS(it.get_float64(), 8, le, uint64_t);
    case 11: {
      const double v = it.get_stdfloat();
      if (stdfloat_double) {
        CHECK(8 <= left);
        CHECK(std::bit_cast<uint64_t>(v) == le(bytes, at, 8));
        return 8;
      }
      CHECK(4 <= left);
      const float f = std::bit_cast<float>(static_cast<uint32_t>(le(bytes, at, 4)));
      CHECK(v == static_cast<double>(f) || (v != v && f != f));  // NaN stays NaN
      return 4;
    }
    case 12: FIXED(static_cast<uint16_t>(it.get_be_int16()), 2, be);
    case 13: FIXED(static_cast<uint32_t>(it.get_be_int32()), 4, be);
    case 14: FIXED(static_cast<uint64_t>(it.get_be_int64()), 8, be);
    case 15: FIXED(it.get_be_uint16(), 2, be);
    case 16: FIXED(it.get_be_uint32(), 4, be);
    case 17: FIXED(it.get_be_uint64(), 8, be);
    case 18: BITS(it.get_be_float32(), 4, be, uint32_t);
    case 19: BITS(it.get_be_float64(), 8, be, uint64_t);
    case 20: {
      const auto v = static_cast<uint16_t>(it.peek_int16());
      CHECK(2 <= left);
      CHECK(v == le(bytes, at, 2));
      return 0;  // a peek does not advance
    }
    case 21: {
      const auto v = it.peek_uint16();
      CHECK(2 <= left);
      CHECK(v == le(bytes, at, 2));
      return 0;
    }
    case 22: return prefixed(it.get_string(), 2);
    case 23: return prefixed(it.get_string32(), 4);
    case 24: {
      const std::string s = it.get_z_string();
      const size_t nul = bytes.find('\0', at);
      CHECK(nul != std::string::npos);
      CHECK(s == bytes.substr(at, nul - at));
      return nul - at + 1;
    }
    case 25: {
      const std::string s = it.get_fixed_string(arg);
      CHECK(arg <= left);
      const std::string field = bytes.substr(at, arg);
      CHECK(s == field.substr(0, field.find('\0')));
      return arg;
    }
    case 26: {
      const std::wstring w = it.get_wstring();
      CHECK(4 <= left);
      const size_t n = le(bytes, at, 4);
      CHECK(n <= (left - 4) / 2);
      CHECK(w.size() == n);
      for (size_t i = 0; i < n; ++i) CHECK(static_cast<uint64_t>(w[i]) == le(bytes, at + 4 + 2 * i, 2));
      return 4 + 2 * n;
    }
    case 27: {
      const auto b = it.get_blob();
      return prefixed(std::string(b.begin(), b.end()), 2);
    }
    case 28: {
      const auto b = it.get_blob32();
      return prefixed(std::string(b.begin(), b.end()), 4);
    }
    case 29:
      it.skip_bytes(arg);
      CHECK(arg <= left);
      return arg;
    case 30: {
      const auto b = it.extract_bytes(arg);
      CHECK(arg <= left);
      CHECK(std::string(b.begin(), b.end()) == bytes.substr(at, arg));
      return arg;
    }
    default:
      CHECK(it.get_remaining_bytes() == bytes.substr(at));
      CHECK(it.get_remaining_size() == left);
      return 0;
  }
}
#undef FIXED
#undef BITS

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  const bool stdfloat_double = in.ConsumeBool();
  const size_t offset = in.ConsumeIntegralInRange<size_t>(0, 64);
  const std::string bytes = in.ConsumeRandomLengthString(4096);
  Datagram dg{std::string_view(bytes)};
  dg.set_stdfloat_double(stdfloat_double);

  DatagramIterator it;
  try {
    it = DatagramIterator(dg, offset);
    CHECK(offset <= bytes.size());
  } catch (const DatagramError &) {
    CHECK(offset > bytes.size());
    // An iterator without a datagram refuses every read the same way.
    DatagramIterator empty;
    try {
      empty.get_uint8();
      fail("read from an empty iterator succeeded");
    } catch (const DatagramError &) {
    }
    CHECK(empty.get_remaining_size() == 0);
    return 0;
  }

  while (in.remaining_bytes() > 0) {
    const int op = in.ConsumeIntegralInRange<int>(0, 31);
    // Sized reads: mostly near what remains, sometimes absurd (must throw, not allocate).
    size_t arg = in.ConsumeIntegralInRange<size_t>(0, 80);
    if (in.ConsumeIntegralInRange<int>(0, 15) == 0) arg = in.ConsumeIntegral<size_t>();
    const size_t before = it.get_current_index();
    CHECK(before <= bytes.size());
    CHECK(before + it.get_remaining_size() == bytes.size());
    try {
      const size_t want = read_one(it, op, arg, bytes, before, stdfloat_double);
      CHECK(want <= bytes.size() - before);
      CHECK(it.get_current_index() == before + want);
    } catch (const DatagramError &e) {
      CHECK(it.get_current_index() == before);  // a failed read consumes nothing
      CHECK(std::strlen(e.what()) > 0);
    }
  }
  return 0;
}
