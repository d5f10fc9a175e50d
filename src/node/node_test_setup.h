#pragma once
// For node tests: a set-up with one fleet (f1, one compute c1 in custom-a), one queue (q1, 30 s)
// and one configuration (cfg) of the rule set `rules` on that queue.
//
// Thread safety: a plain function.

#include <string>

#include "node/node.h"

namespace muster::node::testing {

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

}  // namespace muster::node::testing
