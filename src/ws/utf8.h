#pragma once
// Incremental UTF-8 validation (RFC 3629) for WebSocket text messages, which arrive in fragments
// that may split a character anywhere. Rejects overlong forms, surrogates (U+D800..U+DFFF), code
// points above U+10FFFF, stray continuation bytes and the bytes C0, C1, F5..FF, as soon as the
// first byte that cannot continue a valid text arrives ("fail fast", as RFC 6455 §8.1 allows and
// the Autobahn suite checks), not at the end of the message.
//
// Thread safety: a value; one per message being read.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace muster::ws {

class Utf8Validator {
 public:
  // Feeds the next bytes. False once the text so far can no longer be valid UTF-8 (the validator
  // then stays failed).
  bool Feed(std::string_view bytes);
  // True when the bytes fed so far are valid and end on a character boundary.
  bool Complete() const { return state_ == kAccept; }
  bool Failed() const { return state_ == kReject; }
  void Reset() { state_ = kAccept; }

 private:
  // The state is what the next byte must be: kAccept any start of a character; kTail1..3 that
  // many continuation bytes (80..BF); the four leads whose first continuation is narrower.
  enum State : std::uint8_t { kAccept, kTail1, kTail2, kTail3, kAfterE0, kAfterED, kAfterF0, kAfterF4, kReject };
  State state_ = kAccept;
};

// True when `bytes` is, as a whole, valid UTF-8.
bool IsValidUtf8(std::string_view bytes);

}  // namespace muster::ws
