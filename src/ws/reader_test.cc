// The decoder against the categories of the Autobahn test suite that a decoder decides: framing,
// pings and pongs, reserved bits, opcodes, fragmentation, UTF-8, close frames, limits. The same
// cases run through the gateway's sockets in tests/ws_conformance (the connection's part:
// answers, the close handshake, timeouts).

#include "ws/reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace muster::ws {
namespace {

using Kind = FrameReader::Kind;
constexpr std::array<std::uint8_t, 4> kMask = {0x12, 0x34, 0x56, 0x78};

std::string Frame(Opcode op, std::string_view payload, bool fin = true) {
  std::string out;
  AppendMaskedFrame(out, op, payload, kMask, fin);
  return out;
}

// A frame with a raw first byte (reserved bits, opcodes) and a masked payload.
std::string RawFrame(std::uint8_t b0, std::string_view payload) {
  std::string out = Frame(Opcode::kText, payload);
  out[0] = static_cast<char>(b0);
  return out;
}

struct Seen {
  Kind kind;
  std::uint16_t code;
  std::string data;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{" << static_cast<int>(s.kind) << ", " << s.code << ", \"" << s.data << "\"}";
}

// Feeds `bytes` in pieces of `piece` bytes; collects every event.
std::vector<Seen> Read(const std::string& bytes, std::size_t piece = 1 << 20, ReaderLimits limits = {}) {
  FrameReader reader(limits);
  std::vector<Seen> seen;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    std::string_view in = std::string_view(bytes).substr(at, piece);
    while (true) {
      const Kind kind = reader.Next(in);
      if (kind == Kind::kNeedMore) break;
      std::string data = (kind == Kind::kText || kind == Kind::kBinary) ? reader.TakeMessage()
                                                                        : std::string(reader.payload());
      seen.push_back({kind, reader.code(), std::move(data)});
      if (reader.finished()) return seen;
    }
  }
  return seen;
}

Seen Error(std::uint16_t code, std::string reason) { return {Kind::kError, code, std::move(reason)}; }

// Every case is read whole and then one byte at a time: the result may not depend on how the
// bytes arrive.
void ExpectRead(const std::string& bytes, const std::vector<Seen>& expected, ReaderLimits limits = {}) {
  EXPECT_EQ(Read(bytes, 1 << 20, limits), expected);
  EXPECT_EQ(Read(bytes, 1, limits), expected) << "fed byte by byte";
  EXPECT_EQ(Read(bytes, 3, limits), expected) << "fed three bytes at a time";
}

// --- 1, 2: framing, pings and pongs -----------------------------------------------------------

TEST(FrameReaderTest, ReadsTextAndBinaryOfEveryLengthForm) {
  for (std::size_t size : {0, 1, 125, 126, 127, 65535, 65536}) {
    const std::string text(size, '*');
    ReaderLimits limits;
    limits.max_frame_bytes = limits.max_message_bytes = 70000;
    ExpectRead(Frame(Opcode::kText, text), {{Kind::kText, 0, text}}, limits);
    ExpectRead(Frame(Opcode::kBinary, text), {{Kind::kBinary, 0, text}}, limits);
  }
}

TEST(FrameReaderTest, ReadsMessagesBackToBack) {
  ExpectRead(Frame(Opcode::kText, "one") + Frame(Opcode::kBinary, std::string("\0\xff", 2)) +
                 Frame(Opcode::kText, ""),
             {{Kind::kText, 0, "one"}, {Kind::kBinary, 0, std::string("\0\xff", 2)}, {Kind::kText, 0, ""}});
}

TEST(FrameReaderTest, ReadsPingsAndPongsUpTo125Bytes) {
  ExpectRead(Frame(Opcode::kPing, ""), {{Kind::kPing, 0, ""}});
  ExpectRead(Frame(Opcode::kPing, std::string(125, 'p')), {{Kind::kPing, 0, std::string(125, 'p')}});
  ExpectRead(Frame(Opcode::kPing, std::string("\0\x01\xfe", 3)), {{Kind::kPing, 0, std::string("\0\x01\xfe", 3)}});
  ExpectRead(Frame(Opcode::kPong, "unsolicited"), {{Kind::kPong, 0, "unsolicited"}});
  ExpectRead(Frame(Opcode::kPing, std::string(126, 'p')),
             {Error(close_code::kProtocolError, "control frame over 125 bytes")});
  ExpectRead(Frame(Opcode::kPing, "a", /*fin=*/false),
             {Error(close_code::kProtocolError, "fragmented control frame")});
  ExpectRead(Frame(Opcode::kPong, "a", /*fin=*/false),
             {Error(close_code::kProtocolError, "fragmented control frame")});
}

// --- 3: reserved bits -------------------------------------------------------------------------

TEST(FrameReaderTest, RefusesEachReservedBitWithoutAnExtension) {
  for (std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    ExpectRead(Frame(Opcode::kText, "ok") + RawFrame(static_cast<std::uint8_t>(0x81 | rsv), "x"),
               {{Kind::kText, 0, "ok"}, Error(close_code::kProtocolError, "reserved bits set without an extension")});
    ExpectRead(RawFrame(static_cast<std::uint8_t>(0x89 | rsv), ""),
               {Error(close_code::kProtocolError, "reserved bits set without an extension")});
  }
}

// --- 4: opcodes -------------------------------------------------------------------------------

TEST(FrameReaderTest, RefusesEveryReservedOpcode) {
  for (std::uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    ExpectRead(RawFrame(static_cast<std::uint8_t>(0x80 | op), "x"),
               {Error(close_code::kProtocolError, "reserved opcode")});
  }
}

// --- 5: fragmentation -------------------------------------------------------------------------

TEST(FrameReaderTest, AssemblesFragmentsWithControlFramesBetweenThem) {
  ExpectRead(Frame(Opcode::kText, "frag", false) + Frame(Opcode::kPing, "p1") +
                 Frame(Opcode::kContinuation, "men", false) + Frame(Opcode::kPong, "") +
                 Frame(Opcode::kContinuation, "", false) + Frame(Opcode::kContinuation, "ted"),
             {{Kind::kPing, 0, "p1"}, {Kind::kPong, 0, ""}, {Kind::kText, 0, "fragmented"}});
  ExpectRead(Frame(Opcode::kBinary, "", false) + Frame(Opcode::kContinuation, ""), {{Kind::kBinary, 0, ""}});
}

TEST(FrameReaderTest, RefusesContinuationsOutsideAMessageAndDataInsideOne) {
  ExpectRead(Frame(Opcode::kContinuation, "x"),
             {Error(close_code::kProtocolError, "continuation frame outside a message")});
  ExpectRead(Frame(Opcode::kText, "a") + Frame(Opcode::kContinuation, "x"),
             {{Kind::kText, 0, "a"}, Error(close_code::kProtocolError, "continuation frame outside a message")});
  ExpectRead(Frame(Opcode::kText, "a", false) + Frame(Opcode::kText, "b"),
             {Error(close_code::kProtocolError, "new data frame inside a fragmented message")});
  ExpectRead(Frame(Opcode::kText, "a", false) + Frame(Opcode::kBinary, "b", false),
             {Error(close_code::kProtocolError, "new data frame inside a fragmented message")});
}

// --- 6: UTF-8 ---------------------------------------------------------------------------------

TEST(FrameReaderTest, AcceptsValidUtf8SplitOverFragmentsAtEveryByte) {
  const std::string text = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xf0\x9f\x98\x80";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    ExpectRead(Frame(Opcode::kText, text.substr(0, cut), false) + Frame(Opcode::kContinuation, text.substr(cut)),
               {{Kind::kText, 0, text}});
  }
}

TEST(FrameReaderTest, RefusesInvalidUtf8AtTheFirstBadByteNotAtTheEnd) {
  ExpectRead(Frame(Opcode::kText, "\xce\xba\xed\xa0\x80"), {Error(close_code::kInvalidPayload, "text message not UTF-8")});
  // Fail fast: the bad fragment decides, though the message never ends.
  ExpectRead(Frame(Opcode::kText, "ok", false) + Frame(Opcode::kContinuation, "\xc0\xaf", false),
             {Error(close_code::kInvalidPayload, "text message not UTF-8")});
  // A message that ends inside a character.
  ExpectRead(Frame(Opcode::kText, "\xe2\x82", false) + Frame(Opcode::kContinuation, ""),
             {Error(close_code::kInvalidPayload, "text message ends inside a character")});
  // Binary messages are not text.
  ExpectRead(Frame(Opcode::kBinary, "\xc0\xaf"), {{Kind::kBinary, 0, "\xc0\xaf"}});
}

TEST(FrameReaderTest, FindsTheBadByteBeforeTheRestOfAFrameArrives) {
  FrameReader reader;
  const std::string frame = Frame(Opcode::kText, std::string("\xff") + std::string(1000, 'a'));
  std::string_view in = std::string_view(frame).substr(0, 9);  // the 8-byte header and one byte
  EXPECT_EQ(reader.Next(in), Kind::kError);
  EXPECT_EQ(reader.code(), close_code::kInvalidPayload);
}

// --- 7: close frames --------------------------------------------------------------------------

TEST(FrameReaderTest, ReadsCloseFramesWithAndWithoutACode) {
  ExpectRead(Frame(Opcode::kClose, ""), {{Kind::kClose, close_code::kNoStatus, ""}});
  ExpectRead(Frame(Opcode::kClose, ClosePayload(1000, "")), {{Kind::kClose, 1000, ""}});
  ExpectRead(Frame(Opcode::kClose, ClosePayload(4321, "bye \xc3\xa9")), {{Kind::kClose, 4321, "bye \xc3\xa9"}});
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    ExpectRead(Frame(Opcode::kClose, ClosePayload(static_cast<std::uint16_t>(code), "")),
               {{Kind::kClose, static_cast<std::uint16_t>(code), ""}});
  }
}

TEST(FrameReaderTest, RefusesBadCloseFrames) {
  ExpectRead(Frame(Opcode::kClose, "\x03"), {Error(close_code::kProtocolError, "close frame of one byte")});
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    ExpectRead(Frame(Opcode::kClose, ClosePayload(static_cast<std::uint16_t>(code), "")),
               {Error(close_code::kProtocolError, "close code no peer may send")});
  }
  ExpectRead(Frame(Opcode::kClose, std::string("\x03\xe8\xce\xba\xed\xa0\x80", 7)),
             {Error(close_code::kInvalidPayload, "close reason not UTF-8")});
}

TEST(FrameReaderTest, ReadsNothingAfterAClose) {
  FrameReader reader;
  const std::string bytes = Frame(Opcode::kClose, "") + Frame(Opcode::kText, "late");
  std::string_view in = bytes;
  EXPECT_EQ(reader.Next(in), Kind::kClose);
  EXPECT_TRUE(reader.finished());
  const std::size_t left = in.size();
  EXPECT_EQ(reader.Next(in), Kind::kNeedMore);
  EXPECT_EQ(in.size(), left);
}

// --- 9 (sizes) and limits ---------------------------------------------------------------------

TEST(FrameReaderTest, RefusesAFrameOverTheLimitOnItsHeader) {
  ReaderLimits limits;
  limits.max_frame_bytes = 1000;
  FrameReader reader(limits);
  const std::string frame = Frame(Opcode::kBinary, std::string(1001, 'x'));
  std::string_view in = std::string_view(frame).substr(0, 8);  // the header only
  EXPECT_EQ(reader.Next(in), Kind::kError);
  EXPECT_EQ(reader.code(), close_code::kTooBig);
  EXPECT_EQ(reader.payload(), "frame over the size limit");
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(FrameReaderTest, RefusesAMessageOverTheLimitOverItsFragments) {
  ReaderLimits limits;
  limits.max_frame_bytes = 100;
  limits.max_message_bytes = 250;
  ExpectRead(Frame(Opcode::kText, std::string(100, 'a'), false) + Frame(Opcode::kContinuation, std::string(100, 'a'), false) +
                 Frame(Opcode::kContinuation, std::string(50, 'a')),
             {{Kind::kText, 0, std::string(250, 'a')}}, limits);
  ExpectRead(Frame(Opcode::kText, std::string(100, 'a'), false) + Frame(Opcode::kContinuation, std::string(100, 'a'), false) +
                 Frame(Opcode::kContinuation, std::string(51, 'a')),
             {Error(close_code::kTooBig, "message over the size limit")}, limits);
}

TEST(FrameReaderTest, RefusesAMessageThatNeverEnds) {
  ReaderLimits limits;
  limits.max_fragments = 10;
  std::string bytes = Frame(Opcode::kText, "", false);
  for (int i = 0; i < 20; ++i) bytes += Frame(Opcode::kContinuation, "", false);
  ExpectRead(bytes, {Error(close_code::kTooBig, "message of too many fragments")}, limits);
}

TEST(FrameReaderTest, HoldsOnlyTheBytesThatArrivedNotTheLengthAnnounced) {
  FrameReader reader;
  const std::string frame = Frame(Opcode::kBinary, std::string(60000, 'x'));
  std::string_view in = std::string_view(frame).substr(0, 8 + 10);
  EXPECT_EQ(reader.Next(in), Kind::kNeedMore);
  EXPECT_EQ(reader.buffered(), 10u);
  EXPECT_LT(reader.message().capacity(), 1000u);
}

TEST(FrameReaderTest, TakeMessageLeavesNoMemoryBehind) {
  FrameReader reader;
  const std::string frame = Frame(Opcode::kText, std::string(5000, 'x'));
  std::string_view in = frame;
  ASSERT_EQ(reader.Next(in), Kind::kText);
  EXPECT_EQ(reader.TakeMessage().size(), 5000u);
  EXPECT_EQ(reader.message().capacity(), std::string().capacity());
}

// --- masking and length encoding --------------------------------------------------------------

TEST(FrameReaderTest, RefusesFramesMaskedWrongForTheRole) {
  std::string unmasked;
  AppendFrame(unmasked, Opcode::kText, "hi");
  ExpectRead(unmasked, {Error(close_code::kProtocolError, "client frame not masked")});
  ReaderLimits client;
  client.client_frames = false;
  ExpectRead(unmasked, {{Kind::kText, 0, "hi"}}, client);
  ExpectRead(Frame(Opcode::kText, "hi"), {Error(close_code::kProtocolError, "server frame masked")}, client);
}

TEST(FrameReaderTest, RefusesLengthsNotInTheirShortestFormOrWithTheTopBitSet) {
  // 126 with a 16-bit length of 5.
  std::string b = std::string("\x81\xfe\x00\x05", 4) + std::string(reinterpret_cast<const char*>(kMask.data()), 4) + "hello";
  ExpectRead(b, {Error(close_code::kProtocolError, "frame length not in its shortest form")});
  // 127 with a 64-bit length of 200.
  b = std::string("\x82\xff\0\0\0\0\0\0\0\xc8", 10) + std::string(4, '\0') + std::string(200, 'x');
  ExpectRead(b, {Error(close_code::kProtocolError, "frame length not in its shortest form")});
  b = std::string("\x82\xff\x80\0\0\0\0\0\0\0", 10) + std::string(4, '\0');
  ExpectRead(b, {Error(close_code::kProtocolError, "frame length with its top bit set")});
}

}  // namespace
}  // namespace muster::ws
