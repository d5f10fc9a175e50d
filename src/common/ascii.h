#pragma once
// ASCII helpers for protocol text (header names, tokens): no locale, no allocation.
//
// Thread safety: pure functions.

#include <string_view>

namespace muster {

inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive equality of ASCII text (HTTP header names and tokens).
inline bool AsciiIEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

}  // namespace muster
