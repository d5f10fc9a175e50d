#pragma once
// The one codec between the typed events of events.h and the outbox's JSON (WIRE.md §5 shapes).
// Decoding checks every field it reads and names the first one that is missing or of the wrong
// type, so a damaged or foreign outbox row is an error, never an exception on a handler path.
//
// Thread safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "core/events.h"

namespace muster::core {

// The detail object of a "GameLift Queue Placement Event".
json::object PlacementDetail(const PlacementFulfilled& e);
json::object PlacementDetail(const PlacementEnded& e);

// MatchmakingEvent with its routing fields read from `envelope` (kInvalidArgument naming the field
// when it is not a matchmaking event envelope).
// `body` is the text `envelope` was parsed from (kept as the event's body).
Result<MatchmakingEvent> MatchmakingEventFrom(const json::object& envelope, std::string_view body);

// An outbox row (topic and JSON body) back into its typed event. Topics other than "placement"
// and "matchmaking" are kInvalidArgument.
Result<Notice> DecodeOutboxEvent(std::string_view topic, std::string_view body);

// An outbox row decoded on first use. The dispatcher hands one to every subscriber of an event; a
// subscriber with no use for it (a client stream that watches nobody) costs no parse. The views
// must outlive it. Not thread-safe.
class LazyNotice {
 public:
  LazyNotice(std::string_view topic, std::string_view body) : topic_(topic), body_(body) {}

  // The event, or null when the row does not decode (error() then says why).
  const Notice* get();
  // Whether get() was called (the row was decoded, or found not to decode).
  bool tried() const { return decoded_.has_value(); }
  // Why the row does not decode; null when it does or get() was not called.
  const Error* error() const;

 private:
  std::string_view topic_, body_;
  std::optional<Result<Notice>> decoded_;
};

}  // namespace muster::core
