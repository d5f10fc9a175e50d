#pragma once
// RFC 6455 frames: opcodes, close codes, and the encoder. The decoder is reader.h.
//
// A frame on the wire (§5.2), most significant bit first:
//   byte 0: FIN(1) RSV1(1) RSV2(1) RSV3(1) opcode(4)
//   byte 1: MASK(1) length(7): 0..125 the payload length; 126: a 16-bit length follows;
//           127: a 64-bit length follows (its top bit 0). The shortest form must be used.
//   then the 4-byte masking key when MASK is set (every client-to-server frame; never a
//   server's), then the payload, XORed with the key byte (i mod 4) when masked.
// Control frames (close, ping, pong) carry at most 125 bytes and are never fragmented; they may
// arrive between the fragments of a data message. A close frame's payload is empty or a 16-bit
// code followed by a UTF-8 reason.
//
// Thread safety: pure functions.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace muster::ws {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

inline constexpr std::size_t kMaxControlPayload = 125;
inline constexpr std::size_t kMaxFrameHeader = 14;  // 2 + 8 (length) + 4 (mask)

// Close codes (§7.4.1 and the IANA registry).
namespace close_code {
inline constexpr std::uint16_t kNormal = 1000;
inline constexpr std::uint16_t kGoingAway = 1001;
inline constexpr std::uint16_t kProtocolError = 1002;
inline constexpr std::uint16_t kUnsupportedData = 1003;
inline constexpr std::uint16_t kNoStatus = 1005;   // never sent: "the close frame had no code"
inline constexpr std::uint16_t kAbnormal = 1006;   // never sent: "no close frame at all"
inline constexpr std::uint16_t kInvalidPayload = 1007;
inline constexpr std::uint16_t kPolicyViolation = 1008;
inline constexpr std::uint16_t kTooBig = 1009;
inline constexpr std::uint16_t kMandatoryExtension = 1010;
inline constexpr std::uint16_t kInternalError = 1011;
inline constexpr std::uint16_t kServiceRestart = 1012;
inline constexpr std::uint16_t kTryAgainLater = 1013;
}  // namespace close_code

// Whether a peer may send `code` in a close frame: 1000–1003, 1007–1014 and 3000–4999 (1004,
// 1005, 1006 and 1015 are reserved or never sent; 0–999, 1016–2999 and 5000+ are not codes).
bool IsValidCloseCode(std::uint16_t code);

// Appends one frame to `out`. A server's frames are unmasked; `mask` (a client's, tests and
// the C++ client library) masks the payload with that key.
void AppendFrame(std::string& out, Opcode opcode, std::string_view payload, bool fin = true);
void AppendMaskedFrame(std::string& out, Opcode opcode, std::string_view payload,
                       std::array<std::uint8_t, 4> mask, bool fin = true);
// The header alone (for a payload written from elsewhere): returns its length (2, 4 or 10).
std::size_t EncodeHeader(std::uint8_t* out, Opcode opcode, std::uint64_t payload_length, bool fin);

// A close frame's payload: the code, then the reason cut to what fits in 125 bytes (on a
// character boundary).
std::string ClosePayload(std::uint16_t code, std::string_view reason);

// XORs `data` with the masking key, starting at key byte `offset % 4`.
void Unmask(std::uint8_t* data, std::size_t size, std::array<std::uint8_t, 4> key, std::size_t offset);

}  // namespace muster::ws
