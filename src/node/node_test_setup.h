#pragma once
// For node tests: a set-up with one fleet (f1, one compute c1 in custom-a), one queue (q1, 30 s)
// and one configuration (cfg) of the rule set `rules` on that queue; and a game server process of
// that compute, as the server socket drives it; and a queue standing for an owner thread, which a
// test drains by hand.
//
// Thread safety: plain functions; PostQueue's Post from any thread.

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "node/node.h"

namespace muster::node::testing {

// Teams of one player, no attributes.
inline constexpr const char* kRules1v1 = R"({
  "name": "t1v1", "ruleLanguageVersion": "1.0",
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}]
})";

// A player with nothing but an id (the 1v1 rules need no attributes).
inline matchmaking::PlayerInput Player(std::string id) {
  matchmaking::PlayerInput p;
  p.player_id = std::move(id);
  return p;
}

inline NodeSetup OneQueueSetup(const std::string& rules, Millis request_timeout_ms) {
  NodeSetup s;
  FleetSetup f;
  f.fleet_id = "f1";
  f.locations = {"custom-a"};
  f.computes.push_back({"f1", "c1", "custom-a", "127.0.0.1", "", "token", 0});
  s.fleets.push_back(f);
  placement::QueueConfig q;
  q.name = "q1";
  q.arn = "arn:aws:gamelift:local:000000000000:gamesessionqueue/q1";
  q.fleets = {"f1"};
  q.timeout_ms = 30'000;
  s.queues.push_back(q);
  s.rule_sets.push_back({"rules", rules});
  matchmaking::ConfigurationSpec spec;
  spec.name = "cfg";
  spec.rule_set_name = "rules";
  spec.queue_name = "q1";
  spec.request_timeout_ms = request_timeout_ms;
  s.configurations.push_back(spec);
  return s;
}

// Connects process pid-<connection> of compute c1 and activates it on port 7777; its key.
inline Result<std::string> ReadyProcess(Node& node, std::uint64_t connection) {
  MUSTER_ASSIGN_OR_RETURN(auto key,
                          node.game_servers().Connect(connection, "f1", "c1", "pid-" + std::to_string(connection)));
  json::object reply;
  fleet::ActivateServerProcess ready;
  ready.sdk_version = "5.4.0";
  ready.sdk_language = "Cpp";
  ready.port = 7777;
  MUSTER_RETURN_IF_ERROR(node.game_servers().Request(key, fleet::ClientMessage{"r-1", ready}, &reply));
  return key;
}

// The process `key` activates game session `arn`.
inline Status ActivateSession(Node& node, const std::string& key, const std::string& arn) {
  json::object reply;
  fleet::ActivateGameSession activate;
  activate.game_session_id = arn;
  return node.game_servers().Request(key, fleet::ClientMessage{"r-2", activate}, &reply);
}

// An owner thread's queue for Node::UseWriter: closures are posted from any thread (the writer's
// completions among them) and run when the test calls Run.
class PostQueue {
 public:
  Node::Post Poster() {
    return [this](std::function<void()> f) {
      std::lock_guard lock(mu_);
      posted_.push_back(std::move(f));
    };
  }
  // Runs what is queued now (not what it posts meanwhile); how many ran.
  std::size_t Run() {
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(posted_);
    }
    for (auto& f : batch) f();
    return batch.size();
  }
  bool Empty() {
    std::lock_guard lock(mu_);
    return posted_.empty();
  }

 private:
  std::mutex mu_;
  std::deque<std::function<void()>> posted_;
};

}  // namespace muster::node::testing
