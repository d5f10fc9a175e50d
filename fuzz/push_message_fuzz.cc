// libFuzzer target for the push flow's messages (src/api/push_codec.h): what a client sends on
// its WebSocket (ParsePushRequest), and the event cut for one player (EventForPlayer, on stored
// events another version may have written).
//
// Input layout: byte 0 picks which; the rest is the text. Checks, beyond never crashing: an
// accepted request has a known action, a requestId of at most 64 characters and latencies within
// their bounds; a cut event is JSON in which every ticket holds the player and gameSessionInfo
// names no one else.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/push_codec.h"

namespace {

constexpr std::string_view kPlayer = "p1";

void CheckRequest(std::string_view text) {
  auto r = muster::api::ParsePushRequest(text, 60'000);
  if (auto* req = std::get_if<muster::api::PushRequest>(&r)) {
    if (req->request_id.size() > 64 || req->latencies.size() > 64) std::abort();
    for (const auto& [loc, ms] : req->latencies) {
      if (loc.empty() || loc.size() > 64 || ms < 0 || ms > 60'000) std::abort();
    }
    if (std::string_view(muster::api::PushActionName(req->action)) == "?") std::abort();
  } else {
    const auto& e = std::get<muster::api::PushRequestError>(r);
    if (e.error.message.empty() || e.request_id.size() > 64 || e.action.size() > 64) std::abort();
  }
}

bool Names(const muster::json::value& entry, std::string_view player) {
  const auto* o = entry.if_object();
  const auto* id = o ? o->if_contains("playerId") : nullptr;
  return id && id->is_string() && id->as_string() == player;
}

void CheckEvent(std::string_view text) {
  auto cut = muster::api::EventForPlayer(text, kPlayer);
  if (!cut) return;
  auto v = muster::ParseJson(*cut);
  if (!v.ok()) std::abort();
  const auto& d = v->at("detail").as_object();
  const auto& tickets = d.at("tickets").as_array();
  if (tickets.empty()) std::abort();
  for (const auto& t : tickets) {
    bool holds = false;
    for (const auto& p : t.at("players").as_array()) holds = holds || Names(p, kPlayer);
    if (!holds) std::abort();
  }
  if (const auto* info = d.if_contains("gameSessionInfo"); info && info->is_object()) {
    if (const auto* players = info->as_object().if_contains("players"); players && players->is_array()) {
      for (const auto& p : players->as_array()) {
        if (!Names(p, kPlayer)) std::abort();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    CheckEvent(text);
  } else {
    CheckRequest(text);
  }
  return 0;
}
