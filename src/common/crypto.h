#pragma once
// Hashes, MACs, encodings and randomness (OpenSSL underneath).
//
// Thread safety: all functions are safe from any thread.

#include <cstdint>
#include <string>
#include <string_view>

namespace muster {

std::string Sha256(std::string_view data);                            // 32 raw bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string Hex(std::string_view bytes);                              // lowercase hex
std::string Sha256Hex(std::string_view data);
std::string Base64Encode(std::string_view bytes);
std::string Base64UrlEncode(std::string_view bytes);  // no padding
// Constant-time comparison of two strings (different lengths compare unequal).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Cryptographically random bytes / tokens.
std::string RandomBytes(std::size_t n);
std::string Uuid4();                                        // 8-4-4-4-12 lowercase
std::string RandomAlnum(std::size_t n, bool upper = false);  // [a-z0-9] or [A-Z0-9]

}  // namespace muster
