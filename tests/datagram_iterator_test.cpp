// Tests for queuednet/datagram_iterator.h: reads past the end throw with a clear message and
// leave the position unchanged.
#include "queuednet/datagram_iterator.h"

#include <gtest/gtest.h>

#include "queuednet/error.h"

using queuednet::Datagram;
using queuednet::DatagramError;
using queuednet::DatagramIterator;

TEST(DatagramIterator, ReadPastEndThrowsWithOffsetAndRemaining) {
  Datagram dg;
  dg.add_uint16(5);
  DatagramIterator it(dg);
  it.get_uint8();
  try {
    it.get_uint32();
    FAIL() << "no exception";
  } catch (const DatagramError &e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("wanted 4 byte(s) for uint32 at offset 1, 1 remained"), std::string::npos) << what;
  }
  EXPECT_EQ(it.get_current_index(), 1u);  // unchanged
  EXPECT_EQ(it.get_uint8(), 0);
}

TEST(DatagramIterator, LengthPrefixedReadsAreAllOrNothing) {
  Datagram dg;
  dg.add_uint16(10);  // announces 10 bytes
  dg.append_data(std::string_view("abc"));
  DatagramIterator it(dg);
  EXPECT_THROW(it.get_string(), DatagramError);
  EXPECT_EQ(it.get_current_index(), 0u);  // Panda3D would have consumed the prefix
  EXPECT_THROW(it.get_blob(), DatagramError);
  EXPECT_THROW(it.get_string32(), DatagramError);
  EXPECT_THROW(it.get_wstring(), DatagramError);
  EXPECT_EQ(it.get_current_index(), 0u);
}

TEST(DatagramIterator, ZStringFixedStringWstring) {
  Datagram dg;
  dg.add_z_string("hello");
  dg.add_fixed_string("ab", 4);
  dg.add_wstring(L"hi");
  dg.append_data(std::string_view("no-nul"));
  DatagramIterator it(dg);
  EXPECT_EQ(it.get_z_string(), "hello");
  EXPECT_EQ(it.get_fixed_string(4), "ab");
  EXPECT_EQ(it.get_wstring(), L"hi");
  EXPECT_THROW(it.get_z_string(), DatagramError);  // no terminator
  EXPECT_EQ(it.get_remaining_bytes(), "no-nul");
}

TEST(DatagramIterator, PeekSkipExtractAndBigEndian) {
  Datagram dg;
  dg.add_int16(-2);
  dg.pad_bytes(3);
  dg.add_be_uint16(0x0102);
  dg.add_be_float64(2.5);
  dg.add_be_int32(-7);
  DatagramIterator it(dg);
  EXPECT_EQ(it.peek_int16(), -2);
  EXPECT_EQ(it.peek_uint16(), 0xFFFE);
  EXPECT_EQ(it.get_int16(), -2);
  it.skip_bytes(3);
  EXPECT_EQ(it.extract_bytes(2), (queuednet::vector_uchar{1, 2}));
  EXPECT_EQ(it.get_be_float64(), 2.5);
  EXPECT_EQ(it.get_be_int32(), -7);
  EXPECT_THROW(it.skip_bytes(1), DatagramError);
  EXPECT_THROW(it.peek_uint16(), DatagramError);
}

TEST(DatagramIterator, OffsetPastEndAndEmptyIterator) {
  Datagram dg(std::string_view("ab"));
  EXPECT_THROW(DatagramIterator(dg, 3), DatagramError);
  DatagramIterator at_end(dg, 2);
  EXPECT_EQ(at_end.get_remaining_size(), 0u);
  DatagramIterator empty;
  EXPECT_EQ(empty.get_remaining_size(), 0u);
  EXPECT_THROW(empty.get_uint8(), DatagramError);
}
