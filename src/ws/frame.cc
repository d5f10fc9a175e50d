#include "ws/frame.h"

#include <cstring>

namespace muster::ws {

bool IsValidCloseCode(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  if (code >= 1000 && code <= 1003) return true;
  return code >= 1007 && code <= 1014;
}

std::size_t EncodeHeader(std::uint8_t* out, Opcode opcode, std::uint64_t payload_length, bool fin) {
  out[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode));
  if (payload_length <= 125) {
    out[1] = static_cast<std::uint8_t>(payload_length);
    return 2;
  }
  if (payload_length <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(payload_length >> 8);
    out[3] = static_cast<std::uint8_t>(payload_length);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(payload_length >> (56 - 8 * i));
  return 10;
}

void AppendFrame(std::string& out, Opcode opcode, std::string_view payload, bool fin) {
  std::uint8_t header[kMaxFrameHeader];
  const std::size_t n = EncodeHeader(header, opcode, payload.size(), fin);
  out.reserve(out.size() + n + payload.size());
  out.append(reinterpret_cast<const char*>(header), n);
  out.append(payload);
}

void AppendMaskedFrame(std::string& out, Opcode opcode, std::string_view payload,
                       std::array<std::uint8_t, 4> mask, bool fin) {
  std::uint8_t header[kMaxFrameHeader];
  std::size_t n = EncodeHeader(header, opcode, payload.size(), fin);
  header[1] |= 0x80;
  std::memcpy(header + n, mask.data(), 4);
  n += 4;
  const std::size_t start = out.size();
  out.append(reinterpret_cast<const char*>(header), n);
  out.append(payload);
  Unmask(reinterpret_cast<std::uint8_t*>(out.data()) + start + n, payload.size(), mask, 0);
}

std::string ClosePayload(std::uint16_t code, std::string_view reason) {
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  if (reason.size() > kMaxControlPayload - 2) {
    std::size_t cut = kMaxControlPayload - 2;
    // Back off continuation bytes so the cut falls between two characters.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  out.append(reason);
  return out;
}

void Unmask(std::uint8_t* data, std::size_t size, std::array<std::uint8_t, 4> key, std::size_t offset) {
  std::size_t i = 0;
  // Align the key to the payload's start, then XOR eight bytes at a time.
  std::uint8_t k[8];
  for (int j = 0; j < 8; ++j) k[j] = key[(offset + j) % 4];
  std::uint64_t k64;
  std::memcpy(&k64, k, 8);
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= k64;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < size; ++i) data[i] ^= k[i % 8];
}

}  // namespace muster::ws
