#include "ws/reader.h"

#include <algorithm>
#include <cstring>

namespace muster::ws {
namespace {

bool IsControl(std::uint8_t op) { return (op & 0x8) != 0; }
bool IsKnown(std::uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

}  // namespace

FrameReader::FrameReader(ReaderLimits limits) : limits_(limits) {}

FrameReader::Kind FrameReader::Fail(std::uint16_t code, std::string_view reason) {
  step_ = Step::kFinished;
  code_ = code;
  payload_ = reason;
  return Kind::kError;
}

std::string FrameReader::TakeMessage() {
  std::string out = std::move(message_);
  message_ = std::string();
  return out;
}

FrameReader::Kind FrameReader::CheckStart() {
  const std::uint8_t b0 = header_[0], b1 = header_[1];
  const std::uint8_t op = b0 & 0x0F;
  if (b0 & 0x70) return Fail(close_code::kProtocolError, "reserved bits set without an extension");
  if (!IsKnown(op)) return Fail(close_code::kProtocolError, "reserved opcode");
  const bool masked = (b1 & 0x80) != 0;
  if (masked != limits_.client_frames) {
    return Fail(close_code::kProtocolError,
                limits_.client_frames ? "client frame not masked" : "server frame masked");
  }
  const std::uint8_t len7 = b1 & 0x7F;
  if (IsControl(op)) {
    if (!(b0 & 0x80)) return Fail(close_code::kProtocolError, "fragmented control frame");
    if (len7 > kMaxControlPayload) return Fail(close_code::kProtocolError, "control frame over 125 bytes");
  } else if (op == 0x0) {
    if (!in_message_) return Fail(close_code::kProtocolError, "continuation frame outside a message");
  } else if (in_message_) {
    return Fail(close_code::kProtocolError, "new data frame inside a fragmented message");
  }
  header_need_ = static_cast<std::uint8_t>(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0));
  return Kind::kNeedMore;
}

FrameReader::Kind FrameReader::CheckHeader() {
  const std::uint8_t b0 = header_[0], b1 = header_[1];
  opcode_ = static_cast<Opcode>(b0 & 0x0F);
  fin_ = (b0 & 0x80) != 0;
  masked_ = (b1 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7F;
  std::size_t at = 2;
  if (len7 == 126) {
    length_ = (std::uint64_t{header_[2]} << 8) | header_[3];
    at = 4;
    if (length_ < 126) return Fail(close_code::kProtocolError, "frame length not in its shortest form");
  } else if (len7 == 127) {
    length_ = 0;
    for (int i = 0; i < 8; ++i) length_ = (length_ << 8) | header_[2 + i];
    at = 10;
    if (length_ >> 63) return Fail(close_code::kProtocolError, "frame length with its top bit set");
    if (length_ <= 0xFFFF) return Fail(close_code::kProtocolError, "frame length not in its shortest form");
  } else {
    length_ = len7;
  }
  if (masked_) std::memcpy(mask_.data(), header_ + at, 4);
  read_ = 0;
  if (IsControl(b0 & 0x0F)) {
    control_.clear();
    return Kind::kNeedMore;
  }
  if (length_ > limits_.max_frame_bytes) return Fail(close_code::kTooBig, "frame over the size limit");
  if (opcode_ != Opcode::kContinuation) {
    in_message_ = true;
    text_ = opcode_ == Opcode::kText;
    fragments_ = 0;
    utf8_.Reset();
    message_.clear();
  }
  if (++fragments_ > limits_.max_fragments) return Fail(close_code::kTooBig, "message of too many fragments");
  if (message_.size() + length_ > limits_.max_message_bytes) {
    return Fail(close_code::kTooBig, "message over the size limit");
  }
  // No reserve for the declared length: memory follows the bytes that arrived, so a peer that
  // announces a large frame and sends nothing holds nothing.
  return Kind::kNeedMore;
}

FrameReader::Kind FrameReader::FinishFrame() {
  step_ = Step::kHeader;
  header_have_ = 0;
  header_need_ = 2;
  switch (opcode_) {
    case Opcode::kPing:
      payload_ = control_;
      return Kind::kPing;
    case Opcode::kPong:
      payload_ = control_;
      return Kind::kPong;
    case Opcode::kClose: {
      if (control_.size() == 1) return Fail(close_code::kProtocolError, "close frame of one byte");
      std::uint16_t code = close_code::kNoStatus;
      std::string_view reason;
      if (control_.size() >= 2) {
        code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(control_[0]) << 8) |
                                          static_cast<std::uint8_t>(control_[1]));
        if (!IsValidCloseCode(code)) return Fail(close_code::kProtocolError, "close code no peer may send");
        reason = std::string_view(control_).substr(2);
        if (!IsValidUtf8(reason)) return Fail(close_code::kInvalidPayload, "close reason not UTF-8");
      }
      step_ = Step::kFinished;
      code_ = code;
      payload_ = reason;
      return Kind::kClose;
    }
    default:
      break;
  }
  if (!fin_) return Kind::kNeedMore;
  in_message_ = false;
  if (text_ && !utf8_.Complete()) return Fail(close_code::kInvalidPayload, "text message ends inside a character");
  payload_ = {};
  return text_ ? Kind::kText : Kind::kBinary;
}

FrameReader::Kind FrameReader::Next(std::string_view& in) {
  code_ = 0;
  payload_ = {};
  while (step_ != Step::kFinished) {
    if (step_ == Step::kHeader) {
      while (header_have_ < header_need_) {
        if (in.empty()) return Kind::kNeedMore;
        const std::size_t n = std::min<std::size_t>(header_need_ - header_have_, in.size());
        std::memcpy(header_ + header_have_, in.data(), n);
        in.remove_prefix(n);
        const bool had_start = header_have_ >= 2;
        header_have_ = static_cast<std::uint8_t>(header_have_ + n);
        if (!had_start && header_have_ >= 2) {
          if (CheckStart() == Kind::kError) return Kind::kError;
        }
      }
      if (CheckHeader() == Kind::kError) return Kind::kError;
      step_ = Step::kPayload;
    }
    // The payload: copied into the message or control buffer and unmasked there.
    while (read_ < length_) {
      if (in.empty()) return Kind::kNeedMore;
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(length_ - read_, in.size()));
      std::string& dest = (static_cast<std::uint8_t>(opcode_) & 0x8) ? control_ : message_;
      const std::size_t start = dest.size();
      dest.append(in.data(), n);
      in.remove_prefix(n);
      if (masked_) Unmask(reinterpret_cast<std::uint8_t*>(dest.data()) + start, n, mask_, read_);
      read_ += n;
      if (&dest == &message_ && text_ && !utf8_.Feed(std::string_view(dest).substr(start))) {
        return Fail(close_code::kInvalidPayload, "text message not UTF-8");
      }
    }
    const Kind kind = FinishFrame();
    if (kind != Kind::kNeedMore) return kind;
  }
  return Kind::kNeedMore;
}

}  // namespace muster::ws
