#pragma once
// The RFC 6455 decoder: bytes in, whole messages and control frames out. No I/O, no allocation
// beyond the message being assembled, so a connection that is not in the middle of a message
// holds nothing on the heap for it. Fuzzed by fuzz/ws_reader_fuzz.cc.
//
// What it refuses, each with the close code the connection must send and a reason for the log
// and the close frame:
//   1002 (protocol error): a reserved bit set (no extension is negotiated), a reserved opcode, a
//        control frame that is fragmented or longer than 125 bytes, a frame whose masking is
//        wrong for the role (a client's frame unmasked, a server's masked), a length not in its
//        shortest form or with the top bit set, a continuation frame outside a message, a new
//        data frame inside one, a close frame of one byte or with a code no peer may send;
//   1007 (invalid payload): a text message or a close reason that is not UTF-8, found at the
//        first byte that cannot be part of valid text;
//   1009 (too big): a frame longer than max_frame_bytes, a message longer than
//        max_message_bytes or made of more than max_fragments frames, refused on the frame's
//        header, before its payload is read.
// After a close frame or an error the reader is finished: Next consumes nothing more.
//
// Thread safety: one reader per connection, used by one thread at a time.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ws/frame.h"
#include "ws/utf8.h"

namespace muster::ws {

struct ReaderLimits {
  std::size_t max_frame_bytes = 64 * 1024;
  std::size_t max_message_bytes = 128 * 1024;
  std::size_t max_fragments = 4096;
  bool client_frames = true;  // true: this reads a client's frames (a server), which must be masked
};

class FrameReader {
 public:
  enum class Kind : std::uint8_t {
    kNeedMore,  // `in` is used up; call again with more bytes
    kText,      // a whole text message (valid UTF-8): message() / TakeMessage()
    kBinary,    // a whole binary message
    kPing,      // payload(): answer with a pong carrying it
    kPong,
    kClose,     // code(): the peer's code, 1005 when it sent none; payload(): its reason
    kError,     // code(): the close code to send; payload(): why
  };

  explicit FrameReader(ReaderLimits limits = {});

  // Reads from the front of `in`, removing what it consumed, up to the end of the next event.
  Kind Next(std::string_view& in);

  // The last event's code and payload (a control frame's payload or an error's reason), valid
  // until the next call of Next.
  std::uint16_t code() const { return code_; }
  std::string_view payload() const { return payload_; }
  // The message of the last kText or kBinary event.
  const std::string& message() const { return message_; }
  // Moves it out, so that the reader holds no memory for it.
  std::string TakeMessage();

  // True after a close frame or an error.
  bool finished() const { return step_ == Step::kFinished; }
  // True while a fragmented message is being assembled.
  bool in_message() const { return in_message_; }
  // Bytes held for the message being assembled.
  std::size_t buffered() const { return message_.size(); }
  const ReaderLimits& limits() const { return limits_; }

 private:
  enum class Step : std::uint8_t { kHeader, kPayload, kFinished };
  Kind Fail(std::uint16_t code, std::string_view reason);
  // Checks the first two bytes of a frame's header; kNeedMore when they are fine.
  Kind CheckStart();
  // Checks the whole header once it is in and sets up the frame.
  Kind CheckHeader();
  Kind FinishFrame();

  ReaderLimits limits_;
  Step step_ = Step::kHeader;
  std::uint8_t header_[kMaxFrameHeader] = {};
  std::uint8_t header_have_ = 0;
  std::uint8_t header_need_ = 2;
  // The frame being read.
  Opcode opcode_ = Opcode::kContinuation;
  bool fin_ = false;
  std::array<std::uint8_t, 4> mask_ = {};
  bool masked_ = false;
  std::uint64_t length_ = 0;
  std::uint64_t read_ = 0;
  // The message being assembled.
  bool in_message_ = false;
  bool text_ = false;
  std::size_t fragments_ = 0;
  Utf8Validator utf8_;
  std::string message_;
  std::string control_;
  // The last event.
  std::uint16_t code_ = 0;
  std::string_view payload_;
};

}  // namespace muster::ws
