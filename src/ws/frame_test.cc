#include "ws/frame.h"

#include <gtest/gtest.h>

#include <string>

namespace muster::ws {
namespace {

TEST(FrameTest, EncodesEachLengthFormInItsShortestForm) {
  std::string out;
  AppendFrame(out, Opcode::kText, std::string(125, 'a'));
  EXPECT_EQ(out.size(), 2u + 125);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x81);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 125);

  out.clear();
  AppendFrame(out, Opcode::kBinary, std::string(126, 'a'), /*fin=*/false);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x02);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 126);
  EXPECT_EQ(static_cast<unsigned char>(out[2]), 0);
  EXPECT_EQ(static_cast<unsigned char>(out[3]), 126);
  EXPECT_EQ(out.size(), 4u + 126);

  out.clear();
  AppendFrame(out, Opcode::kText, std::string(65536, 'a'));
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 127);
  EXPECT_EQ(out.substr(2, 8), std::string("\0\0\0\0\0\x01\0\0", 8));
  EXPECT_EQ(out.size(), 10u + 65536);
}

TEST(FrameTest, MasksAClientsPayloadWithItsKey) {
  std::string out;
  AppendMaskedFrame(out, Opcode::kText, "Hello", {0x37, 0xfa, 0x21, 0x3d});
  // RFC 6455 §5.7: a single-frame masked text message "Hello".
  EXPECT_EQ(out, std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
}

TEST(FrameTest, UnmaskAtAnyOffsetMatchesByteByByte) {
  const std::array<std::uint8_t, 4> key = {1, 2, 3, 4};
  std::string data(37, 'x');
  for (std::size_t offset = 0; offset < 8; ++offset) {
    std::string fast = data;
    Unmask(reinterpret_cast<std::uint8_t*>(fast.data()), fast.size(), key, offset);
    for (std::size_t i = 0; i < data.size(); ++i) {
      ASSERT_EQ(static_cast<std::uint8_t>(fast[i]), static_cast<std::uint8_t>('x' ^ key[(offset + i) % 4]));
    }
  }
}

TEST(FrameTest, ClosePayloadCutsTheReasonBetweenCharacters) {
  EXPECT_EQ(ClosePayload(1000, ""), std::string("\x03\xe8", 2));
  EXPECT_EQ(ClosePayload(4001, "bye"), std::string("\x0f\xa1" "bye", 5));
  std::string reason;
  for (int i = 0; i < 70; ++i) reason += "\xc3\xa9";  // 140 bytes of é
  const std::string payload = ClosePayload(1008, reason);
  EXPECT_LE(payload.size(), kMaxControlPayload);
  EXPECT_EQ(payload.size(), 2u + 122);  // 61 é: 123 bytes would split the 62nd
  EXPECT_EQ(static_cast<unsigned char>(payload.back()), 0xa9);
}

TEST(FrameTest, ValidCloseCodesAreTheRegisteredAndPrivateOnes) {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
    EXPECT_TRUE(IsValidCloseCode(static_cast<std::uint16_t>(code))) << code;
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    EXPECT_FALSE(IsValidCloseCode(static_cast<std::uint16_t>(code))) << code;
  }
}

}  // namespace
}  // namespace muster::ws
