#pragma once
// The client-addressed stream: the matchmaking events of the outbox, by player (in the client
// flows a player id is the identity id), for the push flow's WebSocket gateway. It subscribes to
// the dispatcher as a recent subscriber (Dispatcher::SubscribeRecent with `replay_ms`).
//
// A player is watched while a listener is attached for it, and for `replay_ms` after its last
// listener detached. Only watched players' events are kept (so the polling flow's players cost
// nothing): at most `max_events_per_player` per player, each for `replay_ms`. When a listener
// attaches, it first gets the kept events the player has not been handed yet, in seq order, then
// every new one: a client that reconnects within the window misses nothing and sees nothing
// twice. Each event is handed over as the outbox's JSON (one shared string for all its players).
//
// Thread rules: every method is safe from any thread. Listeners are called under the stream's
// lock, on the thread of OnEvent (the dispatcher's) or of Attach (replay): a listener must only
// post the event somewhere (to its connection's loop) and must not call back into the stream.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "core/event_codec.h"
#include "core/events.h"
#include "store/store.h"

namespace muster::node {

struct ClientStreamOptions {
  Millis replay_ms = 120'000;              // push_replay_seconds
  std::size_t max_events_per_player = 64;
  std::size_t max_players = 1'000'000;     // watched players kept at once (oldest-detached go first)
};

class ClientStream {
 public:
  using Listener = std::function<void(std::int64_t seq, const std::shared_ptr<const std::string>& event)>;

  ClientStream(const Clock& clock, ClientStreamOptions options = {});

  // The dispatcher's handler. Decodes the event only while some player is watched.
  void OnEvent(const store::Event& raw, core::LazyNotice& event);

  // Attaches a listener for `player_id` (replaying what it missed, see above); returns its id.
  std::uint64_t Attach(const std::string& player_id, Listener listener);
  void Detach(std::uint64_t listener_id);

  std::size_t WatchedPlayers() const;
  std::size_t KeptEvents() const;

 private:
  struct Kept {
    std::int64_t seq = 0;
    Millis time = 0;
    std::shared_ptr<const std::string> json;
  };
  struct Player {
    // Oldest first; at most max_events_per_player. A vector, not a deque: an idle player (one
    // per open push connection) then holds no block for it (libstdc++'s deque allocates 576
    // bytes on construction).
    std::vector<Kept> kept;
    std::map<std::uint64_t, Listener> listeners;
    std::int64_t handed = 0;  // highest seq handed to a listener
    Millis detached_at = 0;   // when the last listener left (0: one is attached)
  };
  void SweepLocked(Millis now);

  const Clock& clock_;
  const ClientStreamOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Player> players_;                 // GUARDED_BY(mu_)
  std::map<std::uint64_t, std::string> listener_player_;  // GUARDED_BY(mu_)
  std::uint64_t next_id_ = 1;                              // GUARDED_BY(mu_)
  std::size_t kept_ = 0;                                   // GUARDED_BY(mu_)
  Millis next_sweep_ = 0;                                  // GUARDED_BY(mu_)
};

}  // namespace muster::node
