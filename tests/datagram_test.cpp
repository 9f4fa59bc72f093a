// Tests for queuednet/datagram.h: encodings byte for byte (spec §2.4) and DG-1..DG-9.
#include "queuednet/datagram.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "queuednet/datagram_iterator.h"
#include "queuednet/error.h"
#include "queuednet/net_datagram.h"

using queuednet::Datagram;
using queuednet::DatagramIterator;

namespace {

std::string hex(const Datagram &dg) {
  std::string out;
  char buf[4];
  for (unsigned char c : dg.get_array()) {
    std::snprintf(buf, sizeof buf, "%02X", c);
    if (!out.empty()) out += ' ';
    out += buf;
  }
  return out;
}

template <class F>
std::string bytes_of(F add) {
  Datagram dg;
  add(dg);
  return hex(dg);
}

}  // namespace

TEST(Datagram, ReferenceByteVectors) {
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_uint16(0x1234); }), "34 12");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_be_uint32(0xDEADBEEF); }), "DE AD BE EF");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_int16(-1); }), "FF FF");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_float32(1.0f); }), "00 00 80 3F");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_be_float32(1.0f); }), "3F 80 00 00");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_float64(1.0); }), "00 00 00 00 00 00 F0 3F");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_string("Monkey"); }), "06 00 4D 6F 6E 6B 65 79");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_z_string(std::string_view("ab\0cd", 5)); }), "61 62 00");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_fixed_string("abc", 5); }), "61 62 63 00 00");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_fixed_string("abcdef", 3); }), "61 62 63");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_wstring(L"A"); }), "01 00 00 00 41 00");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_string32("ab"); }), "02 00 00 00 61 62");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_blob({1, 2}); }), "02 00 01 02");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_blob32({9}); }), "01 00 00 00 09");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_bool(true); d.add_bool(false); }), "01 00");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.pad_bytes(3); }), "00 00 00");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_be_int64(-2); }), "FF FF FF FF FF FF FF FE");
  EXPECT_EQ(bytes_of([](Datagram &d) { d.add_uint64(0x0102030405060708ULL); }), "08 07 06 05 04 03 02 01");
}

// DG-1, parametrised over stdfloat_double.
class DatagramRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(DatagramRoundTrip, SmallRoundTrip) {
  Datagram dg;
  dg.set_stdfloat_double(GetParam());
  dg.add_uint8(3);
  dg.add_uint16(14159);
  dg.add_uint32(0xDEADBEEF);
  dg.add_uint64(0x0123456789ABCDEFULL);
  dg.add_int8(-77);
  dg.add_int16(-1);
  dg.add_int32(-972965890);
  dg.add_int64(-1001001001001001LL);
  dg.add_string("this is a string");
  dg.add_string32("this is another string");
  dg.add_string("this is yet a third string");
  const queuednet::vector_uchar blob{'b', 'l', 'o', 'b', ' ', 'd', 'a', 't', 'a', ' ', 0x00, 0xf2, 0xa0, 0x00, 0x00};
  dg.add_blob(blob);
  const queuednet::vector_uchar blob32{0xc9, 0x8f, 0x00, ' ', 't', 'e', 's', 't', ' ', 'b', 'l', 'o', 'b', '3', '2'};
  dg.add_blob32(blob32);
  dg.add_stdfloat(800.2);
  dg.add_stdfloat(3.1415926);
  dg.add_stdfloat(2.7182818);

  DatagramIterator it(dg);
  EXPECT_EQ(it.get_uint8(), 3);
  EXPECT_EQ(it.get_uint16(), 14159);
  EXPECT_EQ(it.get_uint32(), 0xDEADBEEFu);
  EXPECT_EQ(it.get_uint64(), 0x0123456789ABCDEFULL);
  EXPECT_EQ(it.get_int8(), -77);
  EXPECT_EQ(it.get_int16(), -1);
  EXPECT_EQ(it.get_int32(), -972965890);
  EXPECT_EQ(it.get_int64(), -1001001001001001LL);
  EXPECT_EQ(it.get_string(), "this is a string");
  EXPECT_EQ(it.get_string32(), "this is another string");
  EXPECT_EQ(it.get_string(), "this is yet a third string");
  EXPECT_EQ(it.get_blob(), blob);
  EXPECT_EQ(it.get_blob32(), blob32);
  const double tolerance = GetParam() ? 1e-12 : 1e-4;
  EXPECT_NEAR(it.get_stdfloat(), 800.2, tolerance * 1000);
  EXPECT_NEAR(it.get_stdfloat(), 3.1415926, tolerance);
  EXPECT_NEAR(it.get_stdfloat(), 2.7182818, tolerance);
  EXPECT_EQ(it.get_remaining_size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(StdfloatDouble, DatagramRoundTrip, ::testing::Bool());

TEST(Datagram, CopyAndAssignIterateIdentically) {  // DG-2, DG-3
  Datagram dg;
  dg.add_string("abc");
  dg.add_int32(-5);
  Datagram copy(dg);
  Datagram assigned;
  assigned = dg;
  for (const Datagram *d : {&copy, &assigned}) {
    DatagramIterator it(*d);
    EXPECT_EQ(it.get_string(), "abc");
    EXPECT_EQ(it.get_int32(), -5);
  }
  EXPECT_EQ(copy, dg);
}

TEST(Datagram, BytesAndAppendData) {  // DG-4
  Datagram dg(std::string_view("abc\0", 4));
  dg.append_data(std::string_view("\xff" "123", 4));
  EXPECT_EQ(dg.get_message(), std::string("abc\0\xff" "123", 8));
  EXPECT_EQ(dg.get_length(), 8u);
}

namespace {

// Panda3D pickles a Datagram as its bytes (Datagram.__reduce__ → (Datagram, (bytes(dg),))):
// the bytes leave the object through a stream and a new Datagram is built from them.
std::string pickle(const Datagram &dg) {
  std::ostringstream out(std::ios::binary);
  out.write(static_cast<const char *>(dg.get_data()), static_cast<std::streamsize>(dg.get_length()));
  return out.str();
}

Datagram unpickle(const std::string &bytes) {
  std::istringstream in(bytes, std::ios::binary);
  std::vector<char> buffer(bytes.size());
  in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  return Datagram(buffer.data(), static_cast<size_t>(in.gcount()));
}

}  // namespace

TEST(Datagram, PickleRoundTripEqualsAndDifferentBytesDoNot) {  // DG-5
  Datagram elements;
  elements.add_uint32(0xDEADBEEF);
  elements.add_string(std::string("nul\0inside", 11));
  elements.add_int8(-1);
  elements.add_float64(2.5);
  elements.add_uint8(0);  // a trailing NUL is part of the value
  for (const Datagram &original : {Datagram(), Datagram(std::string_view("abc\0", 4)), elements}) {
    const std::string bytes = pickle(original);
    ASSERT_EQ(bytes.size(), original.get_length());
    Datagram copy_of_original = original;
    const Datagram back = unpickle(bytes);
    EXPECT_EQ(back, original);
    EXPECT_FALSE(back < original || original < back);
    // The new datagram is independent of the one it came from.
    copy_of_original.add_uint8(7);
    EXPECT_EQ(back, original);
    EXPECT_NE(unpickle(pickle(copy_of_original)), original);

    // Different bytes give an unequal datagram: one more byte (a NUL), one byte less, one
    // byte changed at each position.
    EXPECT_NE(unpickle(bytes + '\0'), original);
    if (bytes.empty()) continue;
    EXPECT_NE(unpickle(bytes.substr(0, bytes.size() - 1)), original);
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::string changed = bytes;
      changed[i] = static_cast<char>(changed[i] ^ 0x01);
      EXPECT_NE(unpickle(changed), original) << "byte " << i;
    }
  }
  // What was pickled reads back element by element.
  const Datagram back = unpickle(pickle(elements));
  DatagramIterator it(back);
  EXPECT_EQ(it.get_uint32(), 0xDEADBEEFu);
  EXPECT_EQ(it.get_string(), std::string("nul\0inside", 11));
  EXPECT_EQ(it.get_int8(), -1);
  EXPECT_EQ(it.get_float64(), 2.5);
  EXPECT_EQ(it.get_uint8(), 0);
  EXPECT_EQ(it.get_remaining_size(), 0u);
}

TEST(Datagram, CopyIsIndependent) {  // DG-6
  Datagram dg1(std::string_view("1234"));
  Datagram dg2(dg1);
  dg2.append_data(std::string_view("5678"));
  EXPECT_EQ(dg1.get_message(), "1234");
  EXPECT_EQ(dg2.get_message(), "12345678");
}

TEST(Datagram, LargeRoundTrip) {  // DG-7: 2,000,000 × (uint32, string): about 90 MB
  Datagram dg;
  const std::string words = "the magic words are squeamish ossifrage";
  constexpr uint32_t kCount = 2000000;
  for (uint32_t i = 0; i < kCount; ++i) {
    dg.add_uint32(i);
    dg.add_string(words);
  }
  EXPECT_EQ(dg.get_length(), kCount * (4 + 2 + words.size()));
  DatagramIterator it(dg);
  for (uint32_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(it.get_uint32(), i);
    ASSERT_EQ(it.get_string(), words);
  }
  EXPECT_EQ(it.get_remaining_size(), 0u);
}

TEST(Datagram, Dg9NetDatagramLength54) {  // DG-9
  queuednet::NetDatagram dg;
  dg.add_int8(-10);
  dg.add_uint8(200);
  dg.add_int16(-32000);
  dg.add_uint16(64000);
  dg.add_int32(100000);
  dg.add_float64(3.14159);
  dg.add_float64(3.141592654378765689009887765567);
  dg.add_string("Monkey");
  dg.add_string("Purple Monkey!");
  dg.add_int32(200000);
  EXPECT_EQ(dg.get_length(), 54u);
  DatagramIterator it(dg);
  EXPECT_EQ(it.get_int8(), -10);
  EXPECT_EQ(it.get_uint8(), 200);
  EXPECT_EQ(it.get_int16(), -32000);
  EXPECT_EQ(it.get_uint16(), 64000);
  EXPECT_EQ(it.get_int32(), 100000);
  EXPECT_DOUBLE_EQ(it.get_float64(), 3.14159);
  EXPECT_DOUBLE_EQ(it.get_float64(), 3.141592654378765689009887765567);
  EXPECT_EQ(it.get_string(), "Monkey");
  EXPECT_EQ(it.get_string(), "Purple Monkey!");
  EXPECT_EQ(it.get_int32(), 200000);
}

TEST(Datagram, OversizedStringAndBlobThrowAndAppendNothing) {
  Datagram dg;
  dg.add_uint8(7);
  EXPECT_THROW(dg.add_string(std::string(65536, 'x')), queuednet::DatagramError);
  EXPECT_THROW(dg.add_blob(queuednet::vector_uchar(70000, 1)), queuednet::DatagramError);
  EXPECT_EQ(dg.get_length(), 1u);
  dg.add_string(std::string(65535, 'y'));  // the largest that fits
  EXPECT_EQ(dg.get_length(), 1u + 2u + 65535u);
}

TEST(Datagram, EqualityOrderAndClear) {
  Datagram a(std::string_view("abc")), b(std::string_view("abd"));
  EXPECT_TRUE(a < b);
  EXPECT_FALSE(a == b);
  b.clear();
  EXPECT_EQ(b.get_length(), 0u);
  EXPECT_EQ(b, Datagram());
}

TEST(Datagram, DumpHexFormat) {
  Datagram dg(std::string_view("AB\x01", 3));
  std::ostringstream out;
  dg.dump_hex(out);
  EXPECT_EQ(out.str(), "0000 41 42 01" + std::string(13 * 3, ' ') + "  AB.\n");
}
