// Fuzzes the outbox event codec (core/event_codec.h): rows another node or an older version may
// have written, or a damaged file. Byte 0 picks the topic; the rest is the body. A body that
// decodes must encode back to itself (placement events) or keep its routing fields (matchmaking).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/event_codec.h"

namespace {

[[noreturn]] void Fail() { std::abort(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace muster;  // NOLINT
  if (size == 0) return 0;
  static constexpr std::string_view kTopics[] = {"placement", "matchmaking", "fleet"};
  const std::string_view topic = kTopics[data[0] % 3];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto decoded = core::DecodeOutboxEvent(topic, body);
  if (!decoded.ok()) {
    if (decoded.error().code != ErrorCode::kInvalidArgument) Fail();
    return 0;
  }
  if (const auto* f = std::get_if<core::PlacementFulfilled>(&*decoded)) {
    auto again = core::DecodeOutboxEvent(topic, ToJson(core::PlacementDetail(*f)));
    if (!again.ok()) Fail();
    const auto& g = std::get<core::PlacementFulfilled>(*again);
    if (g.placement_id != f->placement_id || !(g.endpoint == f->endpoint) ||
        g.placed_player_sessions != f->placed_player_sessions) {
      Fail();
    }
  } else if (const auto* e = std::get_if<core::PlacementEnded>(&*decoded)) {
    auto again = core::DecodeOutboxEvent(topic, ToJson(core::PlacementDetail(*e)));
    if (!again.ok()) Fail();
    const auto& g = std::get<core::PlacementEnded>(*again);
    if (g.kind != e->kind || g.placement_id != e->placement_id || g.reason != e->reason) Fail();
  } else if (const auto* m = std::get_if<core::MatchmakingEvent>(&*decoded)) {
    if (m->body != body) Fail();  // the event's text, as it leaves the node
    auto reparsed = ParseJson(m->body);
    if (!reparsed.ok()) Fail();
    auto again = core::DecodeOutboxEvent(topic, ToJson(*reparsed));
    if (!again.ok()) Fail();
    const auto& g = std::get<core::MatchmakingEvent>(*again);
    if (g.type != m->type || g.ticket_ids != m->ticket_ids || g.player_ids != m->player_ids) Fail();
  } else {
    Fail();  // the outbox holds no other kind
  }
  return 0;
}
