#include "matchmaking/matcher.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>

namespace muster::matchmaking {
namespace {

constexpr Millis kT0 = 1'700'000'000'000;

// The demo: 2v2, skill batchDistance widening over time, plus a latency rule.
constexpr const char* kDemo = R"J({
  "name": "demo", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
  "rules": [{"name": "SimilarSkill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 50},
            {"name": "Ping", "type": "latency", "maxLatency": 100}],
  "expansions": [{"target": "rules[SimilarSkill].maxDistance",
                  "steps": [{"waitTimeSeconds": 10, "value": 200}, {"waitTimeSeconds": 20, "value": 1000}]}]
})J";

std::shared_ptr<const RuleSet> Rules(const std::string& body) {
  auto rs = ParseRuleSet(body);
  EXPECT_TRUE(rs.ok()) << rs.error().message;
  return rs.ok() ? *rs : nullptr;
}

TicketInput Solo(const std::string& id, double skill, int ping = 50, Millis start = kT0) {
  TicketInput t;
  t.ticket_id = id;
  t.start_time = start;
  PlayerInput p;
  p.player_id = "p-" + id;
  p.attributes["skill"] = AttributeValue::Number(skill);
  p.latency_ms["us-east-1"] = ping;
  t.players.push_back(std::move(p));
  return t;
}

TEST(Matcher, DemoWidensSkillOverTime) {
  Matcher m(Rules(kDemo));
  ASSERT_TRUE(m.Add(Solo("a", 1000)).ok());
  ASSERT_TRUE(m.Add(Solo("b", 1100)).ok());
  ASSERT_TRUE(m.Add(Solo("c", 1150)).ok());
  ASSERT_TRUE(m.Add(Solo("d", 1020)).ok());
  EXPECT_TRUE(m.Run(kT0).empty());
  EXPECT_EQ(m.NextExpansionAt(kT0), kT0 + 10'000);
  EXPECT_TRUE(m.Run(kT0 + 9'999).empty());
  auto ms = m.Run(kT0 + 10'000);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].players.size(), 4u);
  EXPECT_EQ(ms[0].team_names, (std::vector<std::string>{"red", "blue"}));
  std::map<std::string, int> per_team;
  for (const auto& p : ms[0].players) ++per_team[p.team];
  EXPECT_EQ(per_team["red"], 2);
  EXPECT_EQ(per_team["blue"], 2);
  ASSERT_EQ(ms[0].metrics.size(), 2u);
  EXPECT_EQ(ms[0].metrics[0].rule_name, "SimilarSkill");
  EXPECT_GE(ms[0].metrics[0].passed, 1);
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.NextExpansionAt(kT0 + 10'000), std::numeric_limits<Millis>::max());
}

TEST(Matcher, LatencyBlocksSlowPlayer) {
  Matcher m(Rules(kDemo));
  ASSERT_TRUE(m.Add(Solo("a", 1000)).ok());
  ASSERT_TRUE(m.Add(Solo("b", 1000)).ok());
  ASSERT_TRUE(m.Add(Solo("c", 1000)).ok());
  ASSERT_TRUE(m.Add(Solo("slow", 1000, 300)).ok());
  EXPECT_TRUE(m.Run(kT0 + 60'000).empty());
  ASSERT_TRUE(m.Add(Solo("e", 1000, 20, kT0 + 60'000)).ok());
  auto ms = m.Run(kT0 + 60'000);
  ASSERT_EQ(ms.size(), 1u);
  for (const auto& p : ms[0].players) EXPECT_NE(p.ticket_id, "slow");
  EXPECT_EQ(m.size(), 1u);
  EXPECT_TRUE(m.Remove("slow"));
  EXPECT_FALSE(m.Remove("slow"));
  EXPECT_EQ(m.size(), 0u);
}

TEST(Matcher, PartyStaysOnOneTeam) {
  Matcher m(Rules(kDemo));
  TicketInput duo = Solo("duo", 1000);
  PlayerInput second = duo.players[0];
  second.player_id = "p-duo-2";
  duo.players.push_back(second);
  ASSERT_TRUE(m.Add(duo).ok());
  ASSERT_TRUE(m.Add(Solo("x", 1000)).ok());
  ASSERT_TRUE(m.Add(Solo("y", 1000)).ok());
  auto ms = m.Run(kT0);
  ASSERT_EQ(ms.size(), 1u);
  std::map<std::string, std::string> team;
  for (const auto& p : ms[0].players) team[p.player_id] = p.team;
  EXPECT_EQ(team["p-duo"], team["p-duo-2"]);
  EXPECT_NE(team["p-x"], team["p-duo"]);
}

TEST(Matcher, AddRejectsBadTickets) {
  Matcher m(Rules(kDemo));
  TicketInput empty;
  empty.ticket_id = "e";
  EXPECT_EQ(m.Add(empty).error().code, ErrorCode::kInvalidArgument);
  TicketInput no_id = Solo("", 1);
  EXPECT_EQ(m.Add(no_id).error().code, ErrorCode::kInvalidArgument);
  TicketInput eleven;
  eleven.ticket_id = "big";
  for (int i = 0; i < 11; ++i) {
    PlayerInput p;
    p.player_id = "q" + std::to_string(i);
    eleven.players.push_back(p);
  }
  EXPECT_EQ(m.Add(eleven).error().code, ErrorCode::kInvalidArgument);
  TicketInput three = eleven;
  three.players.resize(3);  // larger than any team (2)
  EXPECT_NE(m.Add(three).error().message.find("largest team holds 2"), std::string::npos);
  TicketInput nan = Solo("nan", std::nan(""));
  EXPECT_NE(m.Add(nan).error().message.find("finite"), std::string::npos);
  TicketInput inf = Solo("inf", INFINITY);
  EXPECT_EQ(m.Add(inf).error().code, ErrorCode::kInvalidArgument);
  TicketInput wrong = Solo("w", 1);
  wrong.players[0].attributes["skill"] = AttributeValue::String("high");
  EXPECT_NE(m.Add(wrong).error().message.find("declared as number"), std::string::npos);
  TicketInput neg = Solo("neg", 1, -5);
  EXPECT_NE(m.Add(neg).error().message.find("must not be negative"), std::string::npos);
  TicketInput many = Solo("many", 1);
  for (int i = 0; i < 11; ++i) many.players[0].attributes["x" + std::to_string(i)] = AttributeValue::Number(i);
  EXPECT_NE(m.Add(many).error().message.find("the limit is 10"), std::string::npos);
  TicketInput long_list = Solo("ll", 1);
  long_list.players[0].attributes["tags"] = AttributeValue::StringList(std::vector<std::string>(101, "t"));
  EXPECT_EQ(m.Add(long_list).error().code, ErrorCode::kInvalidArgument);
  TicketInput bad_team = Solo("bt", 1);
  bad_team.players[0].team = "green";
  EXPECT_NE(m.Add(bad_team).error().message.find("unknown team 'green'"), std::string::npos);
  TicketInput dup_in = Solo("dupin", 1);
  dup_in.players.push_back(dup_in.players[0]);
  EXPECT_EQ(m.Add(dup_in).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(m.size(), 0u);
  ASSERT_TRUE(m.Add(Solo("a", 1)).ok());
  EXPECT_EQ(m.Add(Solo("a", 1)).error().code, ErrorCode::kConflict);
  TicketInput same_player = Solo("other", 1);
  same_player.players[0].player_id = "p-a";
  EXPECT_EQ(m.Add(same_player).error().code, ErrorCode::kConflict);
  EXPECT_EQ(m.size(), 1u);
}

TEST(Matcher, MissingAttributeTakesDefault) {
  Matcher m(Rules(kDemo));
  for (const char* id : {"a", "b", "c", "d"}) {
    TicketInput t = Solo(id, 0);
    if (std::string(id) != "a") t.players[0].attributes.clear();
    else t.players[0].attributes["skill"] = AttributeValue::Number(1010);
    ASSERT_TRUE(m.Add(t).ok());
  }
  EXPECT_EQ(m.Run(kT0).size(), 1u);  // defaults are 1000, within 50 of 1010
}

TEST(Matcher, ExpansionOfTeamMinPlayers) {
  Matcher m(Rules(R"J({"ruleLanguageVersion":"1.0","teams":[{"name":"all","minPlayers":4,"maxPlayers":4}],
    "expansions":[{"target":"teams[all].minPlayers","steps":[{"waitTimeSeconds":5,"value":2}]}]})J"));
  ASSERT_TRUE(m.Add(Solo("a", 1)).ok());
  ASSERT_TRUE(m.Add(Solo("b", 1)).ok());
  EXPECT_TRUE(m.Run(kT0 + 4'999).empty());
  EXPECT_EQ(m.NextExpansionAt(kT0), kT0 + 5'000);
  auto ms = m.Run(kT0 + 5'000);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].players.size(), 2u);
}

// Property: random tickets arriving over random time never put a player in two matches, and
// every match satisfies the rules, team sizes and party cohesion.
TEST(Matcher, RandomTicketsNeverViolateRules) {
  const std::string body = R"J({"ruleLanguageVersion":"1.0",
    "playerAttributes":[{"name":"skill","type":"number","default":50},{"name":"mode","type":"string","default":"a"},
                        {"name":"tags","type":"string_list","default":[]}],
    "teams":[{"name":"red","minPlayers":2,"maxPlayers":3},{"name":"blue","minPlayers":2,"maxPlayers":3}],
    "rules":[{"name":"Skill","type":"batchDistance","batchAttribute":"skill","maxDistance":10},
             {"name":"Mode","type":"batchDistance","batchAttribute":"mode"},
             {"name":"Ping","type":"latency","maxLatency":80},
             {"name":"Fair","type":"distance","measurements":"avg(teams[*].players.attributes[skill])",
              "referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":3},
             {"name":"Sizes","type":"comparison","measurements":"count(teams[red].players)","referenceValue":"count(teams[blue].players)","operation":"="},
             {"name":"Medic","type":"collection","operation":"contains","measurements":"flatten(teams[*].players.attributes[tags])","referenceValue":"medic","maxCount":1}],
    "expansions":[{"target":"rules[Skill].maxDistance","steps":[{"waitTimeSeconds":5,"value":25}]}]})J";
  auto rs = Rules(body);
  ASSERT_TRUE(rs);
  std::mt19937 rng(12345);
  for (int round = 0; round < 3; ++round) {
    Matcher m(rs);
    Millis now = kT0;
    std::set<std::string> matched;
    std::map<std::string, int> party_of;
    std::map<std::string, TicketInput> inputs;
    int next = 0;
    for (int step = 0; step < 60; ++step) {
      now += std::uniform_int_distribution<int>(0, 3000)(rng);
      int arrivals = std::uniform_int_distribution<int>(0, 4)(rng);
      for (int k = 0; k < arrivals; ++k) {
        TicketInput t;
        t.ticket_id = "t" + std::to_string(next++);
        t.start_time = now;
        int n = std::uniform_int_distribution<int>(1, 2)(rng);
        for (int j = 0; j < n; ++j) {
          PlayerInput p;
          p.player_id = t.ticket_id + "-" + std::to_string(j);
          p.attributes["skill"] = AttributeValue::Number(std::uniform_int_distribution<int>(30, 70)(rng));
          if (rng() % 4) p.attributes["mode"] = AttributeValue::String(rng() % 3 ? "a" : "b");
          if (rng() % 5 == 0) p.attributes["tags"] = AttributeValue::StringList({"medic"});
          p.latency_ms["r1"] = std::uniform_int_distribution<int>(10, 120)(rng);
          if (rng() % 2) p.latency_ms["r2"] = std::uniform_int_distribution<int>(10, 120)(rng);
          party_of[p.player_id] = next;
          t.players.push_back(std::move(p));
        }
        inputs[t.ticket_id] = t;
        ASSERT_TRUE(m.Add(std::move(t)).ok());
      }
      if (rng() % 7 == 0 && next > 0) m.Remove("t" + std::to_string(rng() % next));
      for (const auto& match : m.Run(now)) {
        MatchView view;
        view.teams.resize(rs->teams.size());
        std::vector<EvalPlayer> players;
        players.reserve(match.players.size());  // pointers into it stay valid
        std::map<std::string, std::string> team_of_party;
        Millis newest = 0;
        for (const auto& mp : match.players) {
          EXPECT_TRUE(matched.insert(mp.player_id).second) << mp.player_id << " matched twice";
          auto [it, fresh] = team_of_party.emplace(mp.ticket_id, mp.team);
          EXPECT_EQ(it->second, mp.team) << "party split: " << mp.ticket_id;
          const TicketInput& in = inputs[mp.ticket_id];
          newest = std::max(newest, in.start_time);
          for (const auto& pi : in.players) {
            if (pi.player_id != mp.player_id) continue;
            EvalPlayer ep;
            ep.id = pi.player_id;
            ep.ticket = party_of[pi.player_id];
            for (const auto& def : rs->attributes) {
              auto a = pi.attributes.find(def.name);
              ep.attributes.push_back(a != pi.attributes.end() ? std::optional(a->second) : def.default_value);
            }
            for (const auto& [r, ms] : pi.latency_ms) ep.latency_ms.emplace_back(r, ms);
            players.push_back(std::move(ep));
            view.teams[mp.team == "red" ? 0 : 1].push_back(&players.back());
          }
        }
        EXPECT_TRUE(EvaluateMatch(*rs, view, ParamsAtAge(*rs, now - newest), nullptr))
            << "a returned match breaks a rule";
        std::map<std::string, int> sizes;
        for (const auto& mp : match.players) ++sizes[mp.team];
        for (const auto& [team, n] : sizes) {
          EXPECT_GE(n, 2);
          EXPECT_LE(n, 3);
        }
        EXPECT_EQ(sizes["red"], sizes["blue"]);  // Sizes rule
      }
    }
    EXPECT_GT(matched.size(), 10u) << "the property test should form matches";
  }
}

TEST(Matcher, EveryReturnedMatchPassesTheEvaluator) {
  // Re-evaluates each returned match with the evaluator at the loosest parameters: a match the
  // evaluator rejects even then would be a matcher bug.
  auto rs = Rules(kDemo);
  Matcher m(rs);
  std::mt19937 rng(7);
  std::map<std::string, TicketInput> inputs;
  for (int i = 0; i < 40; ++i) {
    TicketInput t = Solo("t" + std::to_string(i), std::uniform_int_distribution<int>(900, 1300)(rng),
                         std::uniform_int_distribution<int>(20, 140)(rng), kT0);
    inputs[t.ticket_id] = t;
    ASSERT_TRUE(m.Add(t).ok());
  }
  int formed = 0;
  for (Millis now : {kT0, kT0 + 10'000}) {
    for (const auto& match : m.Run(now)) {
      ++formed;
      std::vector<EvalPlayer> ps;
      ps.reserve(4);
      MatchView view;
      view.teams.resize(2);
      for (const auto& mp : match.players) {
        const auto& in = inputs[mp.ticket_id].players[0];
        EvalPlayer ep;
        ep.id = in.player_id;
        ep.ticket = static_cast<int>(ps.size());
        ep.attributes = {in.attributes.at("skill")};
        for (const auto& [r, ms] : in.latency_ms) ep.latency_ms.emplace_back(r, ms);
        ps.push_back(ep);
      }
      for (std::size_t k = 0; k < ps.size(); ++k) {
        view.teams[match.players[k].team == "red" ? 0 : 1].push_back(&ps[k]);
      }
      EXPECT_TRUE(EvaluateMatch(*rs, view, ParamsAtAge(*rs, now - kT0), nullptr));
    }
  }
  EXPECT_GT(formed, 0);
}

}  // namespace
}  // namespace muster::matchmaking
