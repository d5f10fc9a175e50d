// Runs every conformance scenario (rule set + tickets + timed expectations) through the Matcher.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/json.h"
#include "matchmaking/matcher.h"
#include "matchmaking/test_util.h"

namespace muster::matchmaking {
namespace {

using testing::CorpusFile;
using testing::CorpusFiles;

// Scenarios this first cut does not pass yet, with the reason. The test fails if one of these
// starts passing (remove it here) or if a scenario not listed fails.
const std::map<std::string, std::string> kKnownFailures = {
};

constexpr Millis kT0 = 1'700'000'000'000;

std::string Str(const json::value& v) {
  return v.is_string() ? std::string(v.get_string().c_str()) : std::string();
}

std::vector<TicketInput> ReadTickets(const json::array& arr, Millis start, std::vector<std::string>* errors) {
  std::vector<TicketInput> out;
  for (const auto& tv : arr) {
    const auto& to = tv.as_object();
    TicketInput t;
    t.ticket_id = Str(to.at("ticketId"));
    t.start_time = start;
    for (const auto& pv : to.at("players").as_array()) {
      const auto& po = pv.as_object();
      PlayerInput p;
      p.player_id = Str(po.at("playerId"));
      if (auto* a = po.if_contains("attributes")) {
        for (const auto& kv : a->as_object()) {
          auto v = ParseAttributeValue(kv.value(), std::string(kv.key()));
          if (!v.ok()) {
            errors->push_back("bad attribute: " + v.error().message);
            continue;
          }
          p.attributes.emplace(std::string(kv.key()), std::move(*v));
        }
      }
      if (auto* l = po.if_contains("latencyInMs")) {
        for (const auto& kv : l->as_object()) {
          p.latency_ms[std::string(kv.key())] = static_cast<int>(kv.value().to_number<double>());
        }
      }
      if (auto* tm = po.if_contains("team")) p.team = Str(*tm);
      t.players.push_back(std::move(p));
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::set<std::string> StrSet(const json::value& v) {
  std::set<std::string> s;
  for (const auto& x : v.as_array()) s.insert(Str(x));
  return s;
}

// Empty string when `m` meets constraint `c`, else why not.
std::string Meets(const MatchResult& m, const json::object& c) {
  std::set<std::string> players;
  std::map<std::string, std::string> team_of;
  std::map<std::string, std::set<std::string>> team_players;
  for (const auto& p : m.players) {
    players.insert(p.player_id);
    team_of[p.player_id] = p.team;
    team_players[p.team].insert(p.player_id);
  }
  if (auto* v = c.if_contains("players"); v && StrSet(*v) != players) return "players differ";
  if (auto* v = c.if_contains("includesPlayers")) {
    for (const auto& id : StrSet(*v)) {
      if (!players.count(id)) return "missing " + id;
    }
  }
  if (auto* v = c.if_contains("excludesPlayers")) {
    for (const auto& id : StrSet(*v)) {
      if (players.count(id)) return "includes " + id;
    }
  }
  if (auto* v = c.if_contains("playerCount");
      v && static_cast<std::size_t>(v->to_number<double>()) != players.size()) {
    return "playerCount " + std::to_string(players.size());
  }
  if (auto* v = c.if_contains("playerCountRange")) {
    double lo = v->as_array()[0].to_number<double>(), hi = v->as_array()[1].to_number<double>();
    if (players.size() < lo || players.size() > hi) return "playerCount " + std::to_string(players.size());
  }
  if (auto* v = c.if_contains("teamSizes")) {
    for (const auto& kv : v->as_object()) {
      if (team_players[std::string(kv.key())].size() != static_cast<std::size_t>(kv.value().to_number<double>())) {
        return "team " + std::string(kv.key()) + " has " +
               std::to_string(team_players[std::string(kv.key())].size());
      }
    }
  }
  if (auto* v = c.if_contains("teams")) {
    for (const auto& kv : v->as_object()) {
      if (team_players[std::string(kv.key())] != StrSet(kv.value())) return "team " + std::string(kv.key()) + " differs";
    }
  }
  if (auto* v = c.if_contains("sameTeam")) {
    for (const auto& group : v->as_array()) {
      std::set<std::string> teams;
      for (const auto& id : StrSet(group)) teams.insert(team_of.count(id) ? team_of[id] : "?");
      if (teams.size() != 1) return "group split across teams";
    }
  }
  return "";
}

bool AssignConstraints(const std::vector<MatchResult>& ms, const json::array& cs, std::size_t i,
                       std::vector<bool>* used) {
  if (i == cs.size()) return true;
  for (std::size_t k = 0; k < ms.size(); ++k) {
    if ((*used)[k] || !Meets(ms[k], cs[i].as_object()).empty()) continue;
    (*used)[k] = true;
    if (AssignConstraints(ms, cs, i + 1, used)) return true;
    (*used)[k] = false;
  }
  return false;
}

std::string Describe(const std::vector<MatchResult>& ms) {
  std::string s;
  for (const auto& m : ms) {
    s += "{";
    for (const auto& p : m.players) s += p.player_id + "@" + p.team + " ";
    s += "}";
  }
  return s;
}

// Runs one scenario; returns the list of unmet expectations.
std::vector<std::string> RunScenario(const json::object& sc) {
  std::vector<std::string> errors;
  auto rs = ParseRuleSet(ToJson(sc.at("ruleSet")));
  if (!rs.ok()) return {"rule set rejected: " + rs.error().message};
  Matcher matcher(*rs);
  std::set<std::string> searching;
  std::set<std::string> matched_players;
  Millis now = kT0;
  auto step = [&](const json::array* tickets, const json::object& expect, const std::string& label) {
    if (tickets) {
      for (auto& t : ReadTickets(*tickets, now, &errors)) {
        std::string id = t.ticket_id;
        Status st = matcher.Add(std::move(t));
        if (!st.ok()) errors.push_back(label + ": Add(" + id + ") failed: " + st.error().message);
        else searching.insert(id);
      }
    }
    auto ms = matcher.Run(now);
    for (const auto& m : ms) {
      for (const auto& id : m.ticket_ids) searching.erase(id);
      for (const auto& p : m.players) {
        if (!matched_players.insert(p.player_id).second) errors.push_back(label + ": player twice " + p.player_id);
      }
    }
    if (matcher.size() != searching.size()) errors.push_back(label + ": pool size mismatch");
    if (auto* v = expect.if_contains("matchCount");
        v && static_cast<std::size_t>(v->to_number<double>()) != ms.size()) {
      errors.push_back(label + ": matchCount " + std::to_string(ms.size()) + " " + Describe(ms));
    }
    if (auto* v = expect.if_contains("matches")) {
      std::vector<bool> used(ms.size(), false);
      if (!AssignConstraints(ms, v->as_array(), 0, &used)) {
        errors.push_back(label + ": match constraints not met by " + Describe(ms));
      }
    }
    if (auto* v = expect.if_contains("unmatchedTickets"); v && StrSet(*v) != searching) {
      errors.push_back(label + ": unmatched tickets differ");
    }
    if (auto* v = expect.if_contains("unmatchedTicketCount");
        v && static_cast<std::size_t>(v->to_number<double>()) != searching.size()) {
      errors.push_back(label + ": unmatchedTicketCount " + std::to_string(searching.size()));
    }
  };
  step(&sc.at("tickets").as_array(), sc.at("expect").as_object(), "t=0");
  if (auto* then = sc.if_contains("then")) {
    int k = 0;
    for (const auto& s : then->as_array()) {
      const auto& so = s.as_object();
      now += static_cast<Millis>(so.at("advanceSeconds").to_number<double>() * 1000);
      const json::value* add = so.if_contains("addTickets");
      step(add ? &add->as_array() : nullptr, so.at("expect").as_object(),
           "then[" + std::to_string(k++) + "]");
    }
  }
  return errors;
}

TEST(Scenarios, EveryScenarioRunsAsExpected) {
  auto files = CorpusFiles("scenarios");
  ASSERT_GE(files.size(), 26u);
  for (const auto& f : files) {
    JsonLimits limits;
    limits.max_bytes = 1 << 20;
    auto doc = ParseJson(CorpusFile("scenarios", f), limits);
    ASSERT_TRUE(doc.ok()) << f;
    auto errors = RunScenario(doc->as_object());
    bool known = kKnownFailures.count(f) > 0;
    if (errors.empty() && known) {
      ADD_FAILURE() << f << " now passes: remove it from kKnownFailures";
    } else if (!errors.empty() && !known) {
      std::string all;
      for (const auto& e : errors) all += "\n  " + e;
      ADD_FAILURE() << f << " failed:" << all;
    }
  }
}

}  // namespace
}  // namespace muster::matchmaking
