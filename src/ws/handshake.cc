#include "ws/handshake.h"

#include <openssl/sha.h>

#include "common/ascii.h"
#include "common/crypto.h"

namespace muster::ws {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

HandshakeRefusal Refuse(int status, std::string message) {
  HandshakeRefusal r;
  r.status = status;
  r.message = std::move(message);
  return r;
}

}  // namespace

bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (AsciiIEquals(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool IsUpgrade(std::string_view upgrade_header) { return HasToken(upgrade_header, "websocket"); }

std::optional<HandshakeRefusal> CheckUpgrade(const UpgradeRequest& req) {
  if (!IsUpgrade(req.upgrade)) {
    HandshakeRefusal r = Refuse(426, "this endpoint speaks WebSocket only: send an upgrade request "
                                     "(Upgrade: websocket)");
    r.headers.emplace_back("Upgrade", "websocket");
    r.headers.emplace_back("Connection", "Upgrade");
    return r;
  }
  if (req.method != "GET") return Refuse(400, "a WebSocket upgrade must be a GET request");
  if (!HasToken(req.connection, "upgrade")) {
    return Refuse(400, "a WebSocket upgrade needs the header Connection: Upgrade");
  }
  if (Trim(req.version) != "13") {
    HandshakeRefusal r = Refuse(426, "unsupported Sec-WebSocket-Version: only 13 (RFC 6455) is spoken");
    r.headers.emplace_back("Sec-WebSocket-Version", "13");
    return r;
  }
  const std::string_view key = Trim(req.key);
  bool key_ok = key.size() == 24 && key.substr(22) == "==";
  for (std::size_t i = 0; key_ok && i < 22; ++i) key_ok = IsBase64Char(key[i]);
  if (!key_ok) {
    return Refuse(400, "Sec-WebSocket-Key must be 16 bytes in base64 (24 characters)");
  }
  return std::nullopt;
}

std::string AcceptKey(std::string_view key) {
  std::string input(Trim(key));
  input.append(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string SwitchingProtocols(std::string_view key) {
  std::string out =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  out += AcceptKey(key);
  out += "\r\n\r\n";
  return out;
}

}  // namespace muster::ws
