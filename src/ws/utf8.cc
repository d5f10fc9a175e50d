#include "ws/utf8.h"

#include <cstring>

namespace muster::ws {

bool Utf8Validator::Feed(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  State s = state_;
  while (p < end) {
    if (s == kAccept) {
      // Text is mostly ASCII: skip it eight bytes at a time.
      while (end - p >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        if (word & 0x8080808080808080ULL) break;
        p += 8;
      }
      if (p == end) break;
      const unsigned char b = *p++;
      if (b < 0x80) continue;
      if (b < 0xC2) s = kReject;  // a stray continuation byte, or an overlong two-byte lead
      else if (b < 0xE0) s = kTail1;
      else if (b == 0xE0) s = kAfterE0;
      else if (b == 0xED) s = kAfterED;
      else if (b < 0xF0) s = kTail2;
      else if (b == 0xF0) s = kAfterF0;
      else if (b < 0xF4) s = kTail3;
      else if (b == 0xF4) s = kAfterF4;
      else s = kReject;
      if (s == kReject) break;
      continue;
    }
    const unsigned char b = *p++;
    switch (s) {
      case kTail1: s = (b >= 0x80 && b <= 0xBF) ? kAccept : kReject; break;
      case kTail2: s = (b >= 0x80 && b <= 0xBF) ? kTail1 : kReject; break;
      case kTail3: s = (b >= 0x80 && b <= 0xBF) ? kTail2 : kReject; break;
      case kAfterE0: s = (b >= 0xA0 && b <= 0xBF) ? kTail1 : kReject; break;  // not overlong
      case kAfterED: s = (b >= 0x80 && b <= 0x9F) ? kTail1 : kReject; break;  // no surrogates
      case kAfterF0: s = (b >= 0x90 && b <= 0xBF) ? kTail2 : kReject; break;  // not overlong
      case kAfterF4: s = (b >= 0x80 && b <= 0x8F) ? kTail2 : kReject; break;  // ≤ U+10FFFF
      default: s = kReject; break;
    }
    if (s == kReject) break;
  }
  state_ = s;
  return s != kReject;
}

bool IsValidUtf8(std::string_view bytes) {
  Utf8Validator v;
  return v.Feed(bytes) && v.Complete();
}

}  // namespace muster::ws
