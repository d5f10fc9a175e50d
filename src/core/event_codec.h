#pragma once
// The one codec between the typed events of events.h and the outbox's JSON (WIRE.md §5 shapes).
// Decoding checks every field it reads and names the first one that is missing or of the wrong
// type, so a damaged or foreign outbox row is an error, never an exception on a handler path.
//
// Thread safety: pure functions.

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

}  // namespace muster::core
