// The matcher's algorithm options (balanced teams, batching preferences, large matches,
// backfill and its priority), event-driven cost, expansions over simulated time, and a property
// test over balanced, large and backfill rule sets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "matchmaking/matcher.h"
#include "matchmaking/matcher_balance.h"

namespace muster::matchmaking {
namespace {

constexpr Millis kT0 = 1'700'000'000'000;

std::shared_ptr<const RuleSet> Rules(const std::string& body) {
  auto rs = ParseRuleSet(body);
  EXPECT_TRUE(rs.ok()) << rs.error().message;
  return rs.ok() ? *rs : nullptr;
}

PlayerInput Player(const std::string& id, std::map<std::string, double> numbers,
                   std::map<std::string, int> latency = {}) {
  PlayerInput p;
  p.player_id = id;
  for (const auto& [k, v] : numbers) p.attributes[k] = AttributeValue::Number(v);
  p.latency_ms = std::move(latency);
  return p;
}

TicketInput Ticket(const std::string& id, std::vector<PlayerInput> players, Millis start = kT0) {
  TicketInput t;
  t.ticket_id = id;
  t.start_time = start;
  t.players = std::move(players);
  return t;
}

TicketInput Solo(const std::string& id, std::map<std::string, double> numbers,
                 std::map<std::string, int> latency = {}, Millis start = kT0) {
  return Ticket(id, {Player("p-" + id, std::move(numbers), std::move(latency))}, start);
}

std::map<std::string, std::vector<std::string>> Teams(const MatchResult& m) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& p : m.players) out[p.team].push_back(p.player_id);
  return out;
}

// Brute force: the smallest spread of team averages over every assignment with the targets.
double BestSpread(const std::vector<BalanceItem>& items, const std::vector<int>& target) {
  const int teams = static_cast<int>(target.size());
  std::vector<int> a(items.size(), 0);
  double best = std::numeric_limits<double>::infinity();
  while (true) {
    std::vector<int> count(teams, 0);
    bool ok = true;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].fixed_team >= 0 && a[i] != items[i].fixed_team) ok = false;
      count[a[i]] += items[i].size;
    }
    if (ok && count == target) best = std::min(best, TeamAverageSpread(items, a, teams));
    std::size_t k = 0;
    while (k < a.size() && ++a[k] == teams) a[k++] = 0;
    if (k == a.size()) break;
  }
  return best;
}

TEST(Balance, MatchesExhaustiveOptimumOnSmallInputs) {
  std::mt19937 rng(5);
  for (int round = 0; round < 200; ++round) {
    const int teams = 2 + static_cast<int>(rng() % 2);
    const int n = 4 + static_cast<int>(rng() % 5);
    std::vector<BalanceItem> items;
    for (int i = 0; i < n; ++i) {
      BalanceItem it;
      it.size = 1 + static_cast<int>(rng() % 2);
      it.sum = it.size * static_cast<double>(rng() % 1000);
      if (round % 5 == 0 && i == 0) it.fixed_team = 1;
      items.push_back(it);
    }
    int players = 0;
    for (const auto& it : items) players += it.size;
    std::vector<int> target(teams, players / teams);
    for (int t = 0; t < players % teams; ++t) ++target[t];
    double best = BestSpread(items, target);
    std::vector<int> got = BalanceTeams(items, target);
    if (std::isinf(best)) {
      EXPECT_TRUE(got.empty()) << "round " << round << ": no packing exists";
      continue;
    }
    ASSERT_EQ(got.size(), items.size()) << "round " << round;
    std::vector<int> count(teams, 0);
    for (std::size_t i = 0; i < items.size(); ++i) count[got[i]] += items[i].size;
    EXPECT_EQ(count, target);
    EXPECT_NEAR(TeamAverageSpread(items, got, teams), best, 1e-9) << "round " << round;
  }
}

TEST(Balance, GreedyIsCloseOnLargeInputs) {
  std::mt19937 rng(9);
  std::vector<BalanceItem> items;
  for (int i = 0; i < 100; ++i) items.push_back({1, static_cast<double>(800 + rng() % 1400), -1});
  std::vector<int> got = BalanceTeams(items, {50, 50});
  ASSERT_EQ(got.size(), 100u);
  // Sorted halves (the worst split) are hundreds apart; balanced teams are within a point.
  EXPECT_LT(TeamAverageSpread(items, got, 2), 1.0);
}

// Beyond the exact solver's size, the teams are a local optimum: no swap of two equal-size
// parties on different teams lowers the spread of the team averages.
TEST(Balance, NoSingleSwapImprovesLargeInputs) {
  std::mt19937 rng(21);
  for (int round = 0; round < 200; ++round) {
    const int teams = 2 + round % 2;
    std::vector<BalanceItem> items;
    int players = 0;
    while (players < 30 * teams) {
      int size = round % 4 == 0 ? 1 : 1 + static_cast<int>(rng() % 3);
      size = std::min(size, 30 * teams - players);
      double sum = 0;
      for (int k = 0; k < size; ++k) sum += 800 + rng() % 1400;
      items.push_back({size, sum, -1});
      players += size;
    }
    std::vector<int> got = BalanceTeams(items, std::vector<int>(teams, 30));
    ASSERT_EQ(got.size(), items.size()) << "round " << round;
    const double spread = TeamAverageSpread(items, got, teams);
    for (std::size_t a = 0; a < items.size(); ++a) {
      for (std::size_t b = a + 1; b < items.size(); ++b) {
        if (got[a] == got[b] || items[a].size != items[b].size) continue;
        std::swap(got[a], got[b]);
        EXPECT_GE(TeamAverageSpread(items, got, teams), spread - 1e-9) << "round " << round;
        std::swap(got[a], got[b]);
      }
    }
  }
}

TEST(MatcherAlgorithm, BalancedStrategyFormsOptimalTeams) {
  auto rs = Rules(R"J({"ruleLanguageVersion":"1.0",
    "playerAttributes":[{"name":"skill","type":"number"}],
    "algorithm":{"strategy":"balanced","balancedAttribute":"skill"},
    "teams":[{"name":"red","minPlayers":3,"maxPlayers":3},{"name":"blue","minPlayers":3,"maxPlayers":3}],
    "rules":[{"name":"Near","type":"batchDistance","batchAttribute":"skill","maxDistance":1000}]})J");
  Matcher m(rs);
  const std::vector<double> skills = {100, 200, 300, 400, 500, 900};
  std::map<std::string, double> skill_of;
  for (std::size_t i = 0; i < skills.size(); ++i) {
    std::string id = "t" + std::to_string(i);
    skill_of["p-" + id] = skills[i];
    ASSERT_TRUE(m.Add(Solo(id, {{"skill", skills[i]}}, {}, kT0 + static_cast<Millis>(i))).ok());
  }
  auto ms = m.Run(kT0 + 10);
  ASSERT_EQ(ms.size(), 1u);
  std::vector<BalanceItem> items;
  std::vector<int> team_of;
  for (const auto& p : ms[0].players) {
    items.push_back({1, skill_of[p.player_id], -1});
    team_of.push_back(p.team == "red" ? 0 : 1);
  }
  EXPECT_NEAR(TeamAverageSpread(items, team_of, 2), BestSpread(items, {3, 3}), 1e-9);
  EXPECT_EQ(Teams(ms[0])["red"].size(), 3u);
}

TEST(MatcherAlgorithm, SortedBatchingPrefersNearestSortAttribute) {
  // Any two tickets match except a and b (tier distance). c is nearest to b in skill, a is
  // older: sorted picks b, the default (age order) picks a.
  const std::string body = R"J({"ruleLanguageVersion":"1.0",
    "playerAttributes":[{"name":"skill","type":"number"},{"name":"tier","type":"number"}],
    "algorithm":{"strategy":"exhaustiveSearch"PREF},
    "teams":[{"name":"red","minPlayers":1,"maxPlayers":1},{"name":"blue","minPlayers":1,"maxPlayers":1}],
    "rules":[{"name":"Tier","type":"distance","measurements":["flatten(teams[*].players.attributes[tier])"],
              "referenceValue":"avg(flatten(teams[*].players.attributes[tier]))","maxDistance":0.5}]})J";
  auto run = [&](const std::string& pref) {
    std::string b = body;
    b.replace(b.find("PREF"), 4, pref);
    Matcher m(Rules(b));
    EXPECT_TRUE(m.Add(Solo("a", {{"skill", 500}, {"tier", 0}}, {}, kT0)).ok());
    EXPECT_TRUE(m.Add(Solo("b", {{"skill", 110}, {"tier", 2}}, {}, kT0 + 1)).ok());
    EXPECT_TRUE(m.Run(kT0 + 1).empty());
    EXPECT_TRUE(m.Add(Solo("c", {{"skill", 100}, {"tier", 1}}, {}, kT0 + 2)).ok());
    auto ms = m.Run(kT0 + 2);
    EXPECT_EQ(ms.size(), 1u);
    std::set<std::string> ids(ms[0].ticket_ids.begin(), ms[0].ticket_ids.end());
    return ids;
  };
  EXPECT_EQ(run(""), (std::set<std::string>{"a", "c"}));
  EXPECT_EQ(run(R"(,"batchingPreference":"sorted","sortByAttributes":["skill"])"),
            (std::set<std::string>{"b", "c"}));
}

TEST(MatcherAlgorithm, RandomBatchingIsSeededAndDeterministic) {
  const std::string body = R"J({"ruleLanguageVersion":"1.0",
    "algorithm":{"strategy":"exhaustiveSearch","batchingPreference":"random"},
    "teams":[{"name":"red","minPlayers":1,"maxPlayers":1},{"name":"blue","minPlayers":1,"maxPlayers":1}]})J";
  auto pairs = [&](std::uint64_t seed) {
    MatcherLimits limits;
    limits.seed = seed;
    Matcher m(Rules(body), limits);
    for (int i = 0; i < 12; ++i) {
      EXPECT_TRUE(m.Add(Solo("t" + std::to_string(i), {}, {}, kT0 + i)).ok());
    }
    std::vector<std::set<std::string>> out;
    for (const auto& match : m.Run(kT0 + 20)) out.emplace_back(match.ticket_ids.begin(), match.ticket_ids.end());
    EXPECT_EQ(out.size(), 6u);
    return out;
  };
  EXPECT_EQ(pairs(1), pairs(1));  // same seed, same matches
  // The anchor (oldest) is not simply paired with the next oldest every time.
  std::vector<std::set<std::string>> in_age_order;
  for (int i = 0; i < 12; i += 2) {
    in_age_order.push_back({"t" + std::to_string(i), "t" + std::to_string(i + 1)});
  }
  EXPECT_NE(pairs(1), in_age_order);
  EXPECT_NE(pairs(1), pairs(2));
}

TEST(MatcherAlgorithm, FastestRegionAndLargestPopulationPickDifferentRegions) {
  const std::string body = R"J({"ruleLanguageVersion":"1.0",
    "playerAttributes":[{"name":"skill","type":"number","default":10}],
    "algorithm":{"strategy":"balanced","balancedAttribute":"skill","batchingPreference":"PREF"},
    "teams":[{"name":"all","minPlayers":4,"maxPlayers":4}],
    "rules":[{"name":"Ping","type":"latency","maxLatency":100}]})J";
  auto run = [&](const std::string& pref) {
    std::string b = body;
    b.replace(b.find("PREF"), 4, pref);
    Matcher m(Rules(b));
    // Region A: a party of 2 and a solo (2 tickets); region B: three solos (3 tickets).
    EXPECT_TRUE(m.Add(Ticket("x1", {Player("x1a", {}, {{"A", 10}, {"B", 500}}),
                                    Player("x1b", {}, {{"A", 10}, {"B", 500}})})).ok());
    EXPECT_TRUE(m.Add(Solo("x2", {}, {{"A", 10}, {"B", 500}})).ok());
    for (const char* y : {"y1", "y2", "y3"}) EXPECT_TRUE(m.Add(Solo(y, {}, {{"A", 500}, {"B", 10}})).ok());
    EXPECT_TRUE(m.Run(kT0).empty());
    EXPECT_TRUE(m.Add(Solo("z", {}, {{"A", 10}, {"B", 50}}, kT0 + 1)).ok());
    auto ms = m.Run(kT0 + 1);
    EXPECT_EQ(ms.size(), 1u);
    return std::set<std::string>(ms[0].ticket_ids.begin(), ms[0].ticket_ids.end());
  };
  EXPECT_EQ(run("fastestRegion"), (std::set<std::string>{"x1", "x2", "z"}));
  EXPECT_EQ(run("largestPopulation"), (std::set<std::string>{"y1", "y2", "y3", "z"}));
}

TEST(MatcherAlgorithm, LargeMatchOfHundredPlayersHasRightTeamsAndBalance) {
  auto rs = Rules(R"J({"ruleLanguageVersion":"1.0",
    "playerAttributes":[{"name":"skill","type":"number","default":1000}],
    "algorithm":{"strategy":"balanced","balancedAttribute":"skill","batchingPreference":"largestPopulation"},
    "teams":[{"name":"red","minPlayers":50,"maxPlayers":50},{"name":"blue","minPlayers":50,"maxPlayers":50}],
    "rules":[{"name":"Near","type":"batchDistance","batchAttribute":"skill","maxDistance":500},
             {"name":"Ping","type":"latency","maxLatency":100}]})J");
  ASSERT_TRUE(rs->large);
  Matcher m(rs);
  std::mt19937 rng(3);
  std::map<std::string, double> skill_of;
  for (int i = 0; i < 110; ++i) {
    double s = 800 + static_cast<double>(rng() % 400);
    std::string id = "t" + std::to_string(i);
    skill_of["p-" + id] = s;
    ASSERT_TRUE(m.Add(Solo(id, {{"skill", s}}, {{"eu", 20 + static_cast<int>(rng() % 60)}}, kT0 + i)).ok());
  }
  auto ms = m.Run(kT0 + 200);
  ASSERT_EQ(ms.size(), 1u);
  auto teams = Teams(ms[0]);
  EXPECT_EQ(teams["red"].size(), 50u);
  EXPECT_EQ(teams["blue"].size(), 50u);
  EXPECT_EQ(m.size(), 10u);
  double avg[2] = {0, 0};
  for (const auto& p : ms[0].players) avg[p.team == "red" ? 0 : 1] += skill_of[p.player_id] / 50;
  EXPECT_LT(std::fabs(avg[0] - avg[1]), 1.0);
}

constexpr const char* kBackfill = R"J({"ruleLanguageVersion":"1.0",
  "playerAttributes":[{"name":"skill","type":"number","default":10}],
  "algorithm":{"backfillPriority":"PRIO"},
  "teams":[{"name":"red","minPlayers":TEAMSIZE,"maxPlayers":TEAMSIZE},{"name":"blue","minPlayers":TEAMSIZE,"maxPlayers":TEAMSIZE}]})J";

std::shared_ptr<const RuleSet> BackfillRules(const std::string& prio, int team_size) {
  std::string b = kBackfill;
  b.replace(b.find("PRIO"), 4, prio);
  for (auto at = b.find("TEAMSIZE"); at != std::string::npos; at = b.find("TEAMSIZE")) {
    b.replace(at, 8, std::to_string(team_size));
  }
  return Rules(b);
}

TicketInput Backfill(const std::string& id, std::vector<std::pair<std::string, std::string>> players) {
  TicketInput t;
  t.ticket_id = id;
  t.start_time = kT0;
  t.backfill = true;
  for (auto& [pid, team] : players) {
    PlayerInput p = Player(pid, {});
    p.team = team;
    t.players.push_back(p);
  }
  return t;
}

TEST(MatcherBackfill, FillsOpenSlotsAndKeepsTeams) {
  Matcher m(BackfillRules("normal", 3));
  ASSERT_TRUE(m.Add(Backfill("bf", {{"r1", "red"}, {"b1", "blue"}, {"b2", "blue"}})).ok());
  EXPECT_TRUE(m.Run(kT0).empty());
  for (const char* id : {"n1", "n2", "n3", "n4"}) ASSERT_TRUE(m.Add(Solo(id, {}, {}, kT0 + 1)).ok());
  auto ms = m.Run(kT0 + 1);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].backfill_ticket_id, "bf");
  EXPECT_NE(std::find(ms[0].ticket_ids.begin(), ms[0].ticket_ids.end(), "bf"), ms[0].ticket_ids.end());
  auto teams = Teams(ms[0]);
  EXPECT_EQ(teams["red"].size(), 3u);
  EXPECT_EQ(teams["blue"].size(), 3u);
  std::map<std::string, std::string> team_of;
  for (const auto& p : ms[0].players) team_of[p.player_id] = p.team;
  EXPECT_EQ(team_of["r1"], "red");
  EXPECT_EQ(team_of["b1"], "blue");
  EXPECT_EQ(team_of["b2"], "blue");
  EXPECT_EQ(m.size(), 1u);  // one ordinary ticket left over
}

TEST(MatcherBackfill, NeverTwoBackfillTicketsAndNeedsANewTicket) {
  Matcher m(BackfillRules("normal", 1));
  ASSERT_TRUE(m.Add(Backfill("bf1", {{"r1", "red"}})).ok());
  ASSERT_TRUE(m.Add(Backfill("bf2", {{"b1", "blue"}})).ok());
  EXPECT_TRUE(m.Run(kT0).empty());  // together they would fill red+blue, but never two backfills
  Matcher full(BackfillRules("normal", 1));
  ASSERT_TRUE(full.Add(Backfill("bf", {{"r1", "red"}, {"b1", "blue"}})).ok());
  EXPECT_TRUE(full.Run(kT0).empty());  // already full: a match needs at least one new ticket
}

TEST(MatcherBackfill, RejectsPlayersWithoutTeams) {
  Matcher m(BackfillRules("normal", 3));
  auto st = m.Add(Backfill("bf", {{"r1", "red"}, {"b1", ""}}));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("players[1].team"), std::string::npos) << st.error().message;
  st = m.Add(Backfill("bf", {{"r1", "green"}}));
  EXPECT_NE(st.error().message.find("unknown team 'green'"), std::string::npos);
  st = m.Add(Backfill("bf", {{"r1", "red"}, {"r2", "red"}, {"r3", "red"}, {"r4", "red"}}));
  EXPECT_NE(st.error().message.find("players[3].team"), std::string::npos) << st.error().message;
  EXPECT_EQ(m.size(), 0u);
}

TEST(MatcherBackfill, APlayerInABackfilledSessionMaySearchButNeverJoinsItTwice) {
  for (const char* prio : {"high", "normal", "low"}) {
    SCOPED_TRACE(prio);
    // The player's own ticket arrives after the backfill ticket, and before it.
    for (bool backfill_first : {true, false}) {
      Matcher m(BackfillRules(prio, 2));
      if (backfill_first) {
        ASSERT_TRUE(m.Add(Backfill("bf", {{"p-pa", "red"}, {"b1", "blue"}})).ok());
      }
      ASSERT_TRUE(m.Add(Solo("pa", {}, {}, kT0)).ok()) << "a player in a running game may search";
      if (!backfill_first) {
        ASSERT_TRUE(m.Add(Backfill("bf", {{"p-pa", "red"}, {"b1", "blue"}})).ok());
      }
      // Still one searching ordinary ticket per player (a new ticket id, the same player).
      auto again = m.Add(Ticket("pa-again", {Player("p-pa", {})}, kT0));
      ASSERT_FALSE(again.ok());
      EXPECT_NE(again.error().message.find("player p-pa is already in another searching ticket"), std::string::npos)
          << again.error().message;
      ASSERT_TRUE(m.Add(Solo("x", {}, {}, kT0)).ok());
      // bf + pa + x would fill both teams, but pa is already in bf's session.
      auto ms = m.Run(kT0);
      for (const auto& match : ms) {
        std::set<std::string> ids(match.ticket_ids.begin(), match.ticket_ids.end());
        EXPECT_FALSE(ids.count("bf") && ids.count("pa")) << "pa would be in the session twice";
        std::set<std::string> players;
        for (const auto& p : match.players) EXPECT_TRUE(players.insert(p.player_id).second) << p.player_id;
      }
      ASSERT_TRUE(m.Add(Solo("y", {}, {}, kT0 + 1)).ok());
      ms = m.Run(kT0 + 1);
      ASSERT_EQ(ms.size(), 1u);
      EXPECT_EQ(std::set<std::string>(ms[0].ticket_ids.begin(), ms[0].ticket_ids.end()),
                (std::set<std::string>{"bf", "x", "y"}));
      EXPECT_EQ(m.size(), 1u);  // pa's own ticket still searches
      EXPECT_TRUE(m.Remove("pa"));
    }
  }
}

TEST(MatcherBackfill, NoClashWhenTwoBackfillsListThePlayerOrTeamsAreFormedAsASet) {
  const std::string balanced = R"J({"ruleLanguageVersion":"1.0",
    "playerAttributes":[{"name":"skill","type":"number","default":10}],
    "algorithm":{"strategy":"balanced","balancedAttribute":"skill"},
    "teams":[{"name":"red","minPlayers":2,"maxPlayers":2},{"name":"blue","minPlayers":2,"maxPlayers":2}],
    "rules":[{"name":"Band","type":"batchDistance","batchAttribute":"skill","maxDistance":100}]})J";
  for (int variant = 0; variant < 2; ++variant) {
    SCOPED_TRACE(variant == 0 ? "exhaustive, two backfills" : "set mode (balanced)");
    Matcher m(variant == 0 ? BackfillRules("normal", 2) : Rules(balanced));
    // p-pa searches on their own and is listed by backfill tickets. Exhaustive: pa is the oldest
    // anchor and both backfills are its candidates. Set mode: the backfill is the oldest anchor
    // and pa its oldest candidate.
    auto bf1 = Backfill("bf1", {{"p-pa", "red"}, {"b1", "blue"}});
    bf1.start_time = variant == 0 ? kT0 : kT0 - 200;
    ASSERT_TRUE(m.Add(Solo("pa", {}, {}, kT0 - 100)).ok());
    ASSERT_TRUE(m.Add(bf1).ok());
    if (variant == 0) {
      ASSERT_TRUE(m.Add(Backfill("bf2", {{"p-pa", "red"}, {"b2", "blue"}})).ok());
    }
    for (const char* id : {"x", "y"}) ASSERT_TRUE(m.Add(Solo(id, {}, {}, kT0)).ok());
    auto ms = m.Run(kT0);
    ASSERT_FALSE(ms.empty());
    for (const auto& match : ms) {
      std::set<std::string> players;
      for (const auto& p : match.players) {
        EXPECT_TRUE(players.insert(p.player_id).second) << p.player_id << " twice in one match";
      }
      std::set<std::string> ids(match.ticket_ids.begin(), match.ticket_ids.end());
      if (!match.backfill_ticket_id.empty()) EXPECT_FALSE(ids.count("pa")) << "pa joins their own session";
    }
  }
}

TEST(MatcherBackfill, PriorityOrdersBackfillBeforeOrAfterOrdinaryMatching) {
  auto run = [](const std::string& prio) {
    Matcher m(BackfillRules(prio, 1));
    EXPECT_TRUE(m.Add(Solo("a", {}, {}, kT0 - 10)).ok());
    EXPECT_TRUE(m.Add(Solo("b", {}, {}, kT0 - 5)).ok());
    EXPECT_TRUE(m.Add(Backfill("bf", {{"r1", "red"}})).ok());
    auto ms = m.Run(kT0);
    EXPECT_EQ(ms.size(), 1u);
    return std::set<std::string>(ms[0].ticket_ids.begin(), ms[0].ticket_ids.end());
  };
  EXPECT_EQ(run("high"), (std::set<std::string>{"bf", "a"}));
  EXPECT_EQ(run("low"), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(run("normal"), (std::set<std::string>{"a", "b"}));  // oldest anchor first
  // Low priority still fills the backfill ticket when no ordinary match is possible.
  Matcher m(BackfillRules("low", 1));
  ASSERT_TRUE(m.Add(Backfill("bf", {{"r1", "red"}})).ok());
  ASSERT_TRUE(m.Add(Solo("c", {}, {}, kT0)).ok());
  auto ms = m.Run(kT0);
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].backfill_ticket_id, "bf");
}

TEST(MatcherEventDriven, RunCostDoesNotGrowWithThePool) {
  auto rs = Rules(R"J({"ruleLanguageVersion":"1.0",
    "playerAttributes":[{"name":"skill","type":"number"}],
    "teams":[{"name":"red","minPlayers":2,"maxPlayers":2},{"name":"blue","minPlayers":2,"maxPlayers":2}],
    "rules":[{"name":"Skill","type":"batchDistance","batchAttribute":"skill","maxDistance":10},
             {"name":"Ping","type":"latency","maxLatency":100}]})J");
  auto cost = [&](int pool) {
    Matcher m(rs);
    // Pairs of tickets 1000 apart in skill: nothing can ever match.
    for (int i = 0; i < pool; ++i) {
      EXPECT_TRUE(m.Add(Solo("t" + std::to_string(i), {{"skill", 1000.0 * (i / 2)}}, {{"eu", 30}})).ok());
    }
    EXPECT_TRUE(m.Run(kT0).empty());
    MatcherStats before = m.stats();
    EXPECT_TRUE(m.Add(Solo("new", {{"skill", 5000}}, {{"eu", 30}})).ok());
    EXPECT_TRUE(m.Run(kT0 + 1).empty());
    EXPECT_TRUE(m.Run(kT0 + 2).empty());  // nothing changed: no work at all
    MatcherStats after = m.stats();
    EXPECT_EQ(after.anchors - before.anchors, 1u);
    return (after.candidates - before.candidates) + (after.nodes - before.nodes);
  };
  const auto small = cost(1000), big = cost(20000);
  EXPECT_EQ(small, big);
  EXPECT_LE(big, 10u);
}

// The window of candidates around a new ticket is exact: a match forms exactly when some set of
// four tickets with the new one spans at most maxDistance. Integer skills put many keys exactly
// maxDistance apart (the edges of the window, and of the counting that skips the sort).
TEST(MatcherWindow, AMatchFormsExactlyWhenSomeWindowAroundTheNewTicketHoldsEnoughPlayers) {
  for (int d : {1, 3, 10}) {
    SCOPED_TRACE(d);
    auto rs = Rules(R"J({"ruleLanguageVersion":"1.0",
      "playerAttributes":[{"name":"skill","type":"number"}],
      "teams":[{"name":"red","minPlayers":2,"maxPlayers":2},{"name":"blue","minPlayers":2,"maxPlayers":2}],
      "rules":[{"name":"Skill","type":"batchDistance","batchAttribute":"skill","maxDistance":)J" +
                    std::to_string(d) + "}]}");
    Matcher m(rs);
    std::mt19937 rng(static_cast<unsigned>(d));
    std::map<std::string, double> pool;  // ticket id -> skill
    int matches = 0;
    for (int i = 0; i < 3000; ++i) {
      const double x = static_cast<double>(rng() % static_cast<unsigned>(12 * d + 7));
      const std::string id = "t" + std::to_string(i);
      // Most tickets within [lo, lo + d] for some lo in [x - d, x], the new ticket included.
      int best = 0;
      for (const auto& [other, lo] : pool) {
        if (lo < x - d || lo > x) continue;
        int n = 1;
        for (const auto& [_, k] : pool) n += k >= lo && k <= lo + d;
        best = std::max(best, n);
      }
      best = std::max(best, 1 + static_cast<int>(std::count_if(pool.begin(), pool.end(), [&](const auto& e) {
                                  return e.second >= x && e.second <= x + d;
                                })));
      ASSERT_TRUE(m.Add(Solo(id, {{"skill", x}})).ok());
      pool[id] = x;
      auto out = m.Run(kT0 + i);
      ASSERT_EQ(out.size(), best >= 4 ? 1u : 0u) << "ticket " << i << " skill " << x << " window holds " << best;
      if (out.empty()) continue;
      ++matches;
      double lo = INFINITY, hi = -INFINITY;
      bool has_new = false;
      for (const auto& t : out[0].ticket_ids) {
        ASSERT_TRUE(pool.count(t));
        lo = std::min(lo, pool[t]);
        hi = std::max(hi, pool[t]);
        has_new = has_new || t == id;
        pool.erase(t);
      }
      EXPECT_TRUE(has_new);
      EXPECT_LE(hi - lo, d);
      ASSERT_LT(pool.size(), 60u);  // every candidate fits one gather
    }
    EXPECT_GT(matches, 300);
  }
}

TEST(MatcherExpansions, LevelsStepOverSimulatedTimeAndRemoveIsForgotten) {
  auto rs = Rules(R"J({"ruleLanguageVersion":"1.0",
    "playerAttributes":[{"name":"skill","type":"number"}],
    "teams":[{"name":"red","minPlayers":1,"maxPlayers":1},{"name":"blue","minPlayers":1,"maxPlayers":1}],
    "rules":[{"name":"Skill","type":"batchDistance","batchAttribute":"skill","maxDistance":10}],
    "expansions":[{"target":"rules[Skill].maxDistance",
                   "steps":[{"waitTimeSeconds":10,"value":50},{"waitTimeSeconds":20,"value":100}]}]})J");
  Matcher m(rs);
  ASSERT_TRUE(m.Add(Solo("a", {{"skill", 0}}, {}, kT0)).ok());
  ASSERT_TRUE(m.Add(Solo("b", {{"skill", 80}}, {}, kT0)).ok());
  ASSERT_TRUE(m.Add(Solo("gone", {{"skill", 5000}}, {}, kT0 - 5'000)).ok());
  EXPECT_TRUE(m.Run(kT0).empty());
  EXPECT_EQ(m.NextExpansionAt(kT0), kT0 + 5'000);  // "gone" reaches 10 s first
  EXPECT_TRUE(m.Remove("gone"));
  EXPECT_FALSE(m.Remove("gone"));
  EXPECT_EQ(m.NextExpansionAt(kT0), kT0 + 10'000);
  EXPECT_TRUE(m.Run(kT0 + 10'000).empty());  // 80 apart > 50
  EXPECT_EQ(m.NextExpansionAt(kT0 + 10'000), kT0 + 20'000);
  auto ms = m.Run(kT0 + 20'000);  // 100 now
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.NextExpansionAt(kT0 + 20'000), std::numeric_limits<Millis>::max());
  // Asked before Run() caught up: still the next step after `now`.
  ASSERT_TRUE(m.Add(Solo("c", {{"skill", 0}}, {}, kT0)).ok());
  EXPECT_EQ(m.NextExpansionAt(kT0 + 15'000), kT0 + 20'000);
}

// Property: balanced, large and backfill rule sets never put a player twice and every match
// passes the rules at the expansion level in force (newest ticket's wait), with team sizes.
TEST(MatcherProperty, BalancedLargeAndBackfillMatchesHoldTheRules) {
  const std::vector<std::string> bodies = {
      R"J({"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number","default":50}],
        "algorithm":{"strategy":"balanced","balancedAttribute":"skill","backfillPriority":"high"},
        "teams":[{"name":"red","minPlayers":2,"maxPlayers":3},{"name":"blue","minPlayers":2,"maxPlayers":3}],
        "rules":[{"name":"Skill","type":"batchDistance","batchAttribute":"skill","maxDistance":8},
                 {"name":"Ping","type":"latency","maxLatency":80}],
        "expansions":[{"target":"rules[Skill].maxDistance","steps":[{"waitTimeSeconds":5,"value":20}]}]})J",
      R"J({"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number","default":50}],
        "algorithm":{"strategy":"balanced","balancedAttribute":"skill","batchingPreference":"fastestRegion"},
        "teams":[{"name":"red","minPlayers":15,"maxPlayers":25},{"name":"blue","minPlayers":15,"maxPlayers":25}],
        "rules":[{"name":"Skill","type":"batchDistance","batchAttribute":"skill","maxDistance":10},
                 {"name":"Ping","type":"latency","maxLatency":70}],
        "expansions":[{"target":"rules[Ping].maxLatency","steps":[{"waitTimeSeconds":4,"value":110}]}]})J",
      R"J({"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number","default":50}],
        "algorithm":{"backfillPriority":"low"},
        "teams":[{"name":"red","minPlayers":2,"maxPlayers":3},{"name":"blue","minPlayers":2,"maxPlayers":3}],
        "rules":[{"name":"Skill","type":"batchDistance","batchAttribute":"skill","maxDistance":10},
                 {"name":"Fair","type":"distance","measurements":"avg(teams[*].players.attributes[skill])",
                  "referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":4}]})J"};
  for (std::size_t which = 0; which < bodies.size(); ++which) {
    auto rs = Rules(bodies[which]);
    ASSERT_TRUE(rs);
    std::mt19937 rng(77 + static_cast<unsigned>(which));
    Matcher m(rs);
    std::map<std::string, TicketInput> inputs;
    std::set<std::string> matched;
    Millis now = kT0;
    int next = 0, formed = 0;
    for (int step = 0; step < 150; ++step) {
      now += std::uniform_int_distribution<int>(0, 400)(rng);
      for (int k = std::uniform_int_distribution<int>(0, 6)(rng); k > 0; --k) {
        TicketInput t;
        t.ticket_id = "t" + std::to_string(next++);
        t.start_time = now;
        t.backfill = which != 1 && rng() % 9 == 0;
        int n = t.backfill ? 1 + static_cast<int>(rng() % 3) : 1 + static_cast<int>(rng() % 2);
        for (int j = 0; j < n; ++j) {
          PlayerInput p = Player(t.ticket_id + "-" + std::to_string(j),
                                 {{"skill", std::uniform_int_distribution<int>(30, 70)(rng)}},
                                 {{"r1", std::uniform_int_distribution<int>(10, 120)(rng)},
                                  {"r2", std::uniform_int_distribution<int>(10, 120)(rng)}});
          if (t.backfill) p.team = rng() % 2 ? "red" : "blue";
          t.players.push_back(p);
        }
        inputs[t.ticket_id] = t;
        (void)m.Add(t);  // a backfill ticket with too many players on one team is refused
      }
      if (rng() % 5 == 0 && next > 0) m.Remove("t" + std::to_string(rng() % next));
      for (const auto& match : m.Run(now)) {
        ++formed;
        std::vector<EvalPlayer> players;
        players.reserve(match.players.size());
        MatchView view;
        view.teams.resize(rs->teams.size());
        Millis newest = std::numeric_limits<Millis>::min();
        int backfills = 0, ordinary = 0;
        std::map<std::string, int> party;
        for (const auto& id : match.ticket_ids) {
          const TicketInput& in = inputs[id];
          newest = std::max(newest, in.start_time);
          (in.backfill ? backfills : ordinary) += 1;
          party[id] = static_cast<int>(party.size());
        }
        EXPECT_LE(backfills, 1);
        EXPECT_GE(ordinary, 1);
        for (const auto& mp : match.players) {
          EXPECT_TRUE(matched.insert(mp.player_id).second) << mp.player_id << " matched twice";
          const TicketInput& in = inputs[mp.ticket_id];
          for (const auto& pi : in.players) {
            if (pi.player_id != mp.player_id) continue;
            if (in.backfill) EXPECT_EQ(pi.team, mp.team) << "backfill player moved";
            EvalPlayer ep;
            ep.id = pi.player_id;
            ep.ticket = party[mp.ticket_id];
            ep.attributes.push_back(pi.attributes.at("skill"));
            for (const auto& [r, ms] : pi.latency_ms) ep.latency_ms.emplace_back(r, ms);
            players.push_back(std::move(ep));
            int team = mp.team == "red" ? 0 : 1;
            view.teams[team].push_back(&players.back());
          }
        }
        EffectiveParams p = ParamsAtAge(*rs, now - newest);
        for (std::size_t t = 0; t < view.teams.size(); ++t) {
          EXPECT_GE(static_cast<int>(view.teams[t].size()), p.team_min[t]);
          EXPECT_LE(static_cast<int>(view.teams[t].size()), p.team_max[t]);
        }
        EXPECT_TRUE(EvaluateMatch(*rs, view, p, nullptr)) << "rule set " << which;
      }
    }
    EXPECT_GT(formed, 2) << "rule set " << which << " should form matches";
  }
}

}  // namespace
}  // namespace muster::matchmaking
