#pragma once
// Test helpers for the simulator: small rule sets and a scripted arrival source.

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>

#include "matchmaking/rule_set.h"
#include "tools/sim/generator.h"

namespace muster::sim::testing {

// 2v2 with a widening skill batchDistance and a latency rule.
inline constexpr const char* k2v2 = R"({
  "name": "test-2v2", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2},
            {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
  "rules": [{"name": "Skill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 100},
            {"name": "Ping", "type": "latency", "maxLatency": 60}],
  "expansions": [{"target": "rules[Skill].maxDistance",
                  "steps": [{"waitTimeSeconds": 5, "value": 300}, {"waitTimeSeconds": 15, "value": 3000}]}]
})";

inline std::shared_ptr<const matchmaking::RuleSet> Rules(const char* body) {
  auto r = matchmaking::ParseRuleSet(body);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : nullptr;
}

// Arrivals given in advance.
class ScriptedSource : public ArrivalSource {
 public:
  // A solo player with this skill at `time`, low latency in `region`.
  void Solo(Millis time, double skill, const std::string& region = "r1", int home = 0) {
    Arrival a;
    a.time = time;
    a.home_region = home;
    a.ticket.ticket_id = "t" + std::to_string(count_);
    a.ticket.start_time = time;
    matchmaking::PlayerInput p;
    p.player_id = "p" + std::to_string(count_++);
    p.attributes["skill"] = matchmaking::AttributeValue::Number(skill);
    p.latency_ms[region] = 20;
    a.ticket.players.push_back(p);
    a.skills.push_back(skill);
    arrivals_.push_back(std::move(a));
  }
  std::optional<Arrival> Next() override {
    if (arrivals_.empty()) return std::nullopt;
    Arrival a = std::move(arrivals_.front());
    arrivals_.pop_front();
    return a;
  }

 private:
  std::deque<Arrival> arrivals_;
  int count_ = 0;
};

}  // namespace muster::sim::testing
