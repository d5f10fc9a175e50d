// libFuzzer target: rule set parsing/validation, and on success a tiny Matcher run so the
// compiled structures are exercised too. Must never crash, hang or assert.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "matchmaking/matcher.h"
#include "matchmaking/rule_set.h"

using muster::matchmaking::AttributeType;
using muster::matchmaking::AttributeValue;
using muster::matchmaking::Matcher;
using muster::matchmaking::MatcherLimits;
using muster::matchmaking::ParseRuleSet;
using muster::matchmaking::PlayerInput;
using muster::matchmaking::TicketInput;
using muster::matchmaking::ValidateRuleSet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto rs = ParseRuleSet(body);
  if (!rs.ok()) {
    (void)ValidateRuleSet(body);
    return 0;
  }
  MatcherLimits limits;
  limits.max_nodes_per_anchor = 200;
  Matcher m(*rs, limits);
  for (int i = 0; i < 6; ++i) {
    TicketInput t;
    t.ticket_id = "t" + std::to_string(i);
    t.start_time = 1000 * i;
    PlayerInput p;
    p.player_id = "p" + std::to_string(i);
    for (const auto& a : (*rs)->attributes) {
      if (i % 3 == 0) continue;  // leave some to defaults
      switch (a.type) {
        case AttributeType::kNumber: p.attributes[a.name] = AttributeValue::Number(i * 7 % 5); break;
        case AttributeType::kString: p.attributes[a.name] = AttributeValue::String(i % 2 ? "x" : "y"); break;
        case AttributeType::kStringList: p.attributes[a.name] = AttributeValue::StringList({"x", "p1"}); break;
        case AttributeType::kStringNumberMap:
          p.attributes[a.name] = AttributeValue::StringNumberMap({{"x", 1.0 * i}});
          break;
      }
    }
    p.latency_ms["r1"] = 10 * i;
    t.players.push_back(std::move(p));
    (void)m.Add(std::move(t));
  }
  (void)m.Run(0);
  (void)m.Run(60'000);
  (void)m.NextExpansionAt(0);
  return 0;
}
