// libFuzzer target for Muster's own WebSocket decoder (src/ws/reader.h), the one the push
// gateway runs on every client's bytes.
//
// Input layout: byte 0 picks the limits and the role (a server reading a client's masked frames,
// or a client reading a server's); byte 1 the size of the pieces the rest is fed in.
// Checks, beyond never crashing: every message fits the limits; every text message and close
// reason is UTF-8 by a second, plain decoder written here (which also judges the raw input the
// same as the validator); a ping or pong is at most 125 bytes;
// nothing is read after a close or an error; and the events do not depend on how the bytes
// were cut into pieces (the same input fed whole gives the same events).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ws/reader.h"

namespace {

using muster::ws::FrameReader;
using Kind = FrameReader::Kind;

constexpr std::size_t kFrameLimits[] = {0, 16, 125, 1000, 70000};
constexpr std::size_t kPieces[] = {1, 2, 3, 7, 14, 64, 1024, 1 << 20};

// A plain UTF-8 decoder: code points and their shortest forms, no surrogates, ≤ U+10FFFF.
bool PlainUtf8(std::string_view s) {
  static constexpr std::uint32_t kLeast[] = {0, 0x80, 0x800, 0x10000};
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = b;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      n = 1, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3, cp = b & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;  // the text ends inside the character
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < kLeast[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

struct Seen {
  Kind kind;
  std::uint16_t code;
  std::string data;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> Run(std::string_view bytes, std::size_t piece, const muster::ws::ReaderLimits& limits) {
  FrameReader reader(limits);
  std::vector<Seen> seen;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    std::string_view in = bytes.substr(at, piece);
    while (true) {
      const bool was_finished = reader.finished();
      const std::size_t before = in.size();
      const Kind kind = reader.Next(in);
      if (was_finished && in.size() != before) std::abort();  // read after the end
      if (kind == Kind::kNeedMore) break;
      Seen s{kind, reader.code(), std::string(reader.payload())};
      switch (kind) {
        case Kind::kText:
          if (!PlainUtf8(reader.message())) std::abort();
          [[fallthrough]];
        case Kind::kBinary:
          if (reader.message().size() > limits.max_message_bytes) std::abort();
          s.data = reader.TakeMessage();
          break;
        case Kind::kPing:
        case Kind::kPong:
          if (s.data.size() > 125) std::abort();
          break;
        case Kind::kClose:
          if (!PlainUtf8(s.data)) std::abort();
          break;
        default:
          break;
      }
      if (reader.buffered() > limits.max_message_bytes) std::abort();
      seen.push_back(std::move(s));
    }
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  muster::ws::ReaderLimits limits;
  const std::size_t frame = kFrameLimits[data[0] % 5];
  if (frame != 0) {
    limits.max_frame_bytes = frame;
    limits.max_message_bytes = frame * ((data[0] >> 3) % 4 + 1);
  }
  limits.max_fragments = (data[0] & 0x80) ? 8 : 4096;
  limits.client_frames = (data[0] & 0x40) == 0;
  const std::size_t piece = kPieces[data[1] % 8];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (muster::ws::IsValidUtf8(bytes) != PlainUtf8(bytes)) std::abort();  // both directions
  const std::vector<Seen> pieces = Run(bytes, piece, limits);
  if (piece != (1 << 20) && Run(bytes, 1 << 20, limits) != pieces) std::abort();
  return 0;
}
