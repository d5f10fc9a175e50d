#pragma once
// Team assignment for `strategy: balanced`: parties (tickets) are put on teams of given target
// sizes so that the teams' averages of the balanced attribute are as close as possible
// (objective: largest team average minus smallest). Small inputs are solved exactly; larger ones
// greedily (largest parties first, onto the team furthest below the overall average) followed by
// swap improvement. Pure functions.
//
// Thread safety: stateless.

#include <vector>

namespace muster::matchmaking {

struct BalanceItem {
  int size = 1;          // players
  double sum = 0;        // sum of the balanced attribute over the players
  int fixed_team = -1;   // >= 0: already on this team (backfill players)
};

// Team per item (fixed items keep theirs) with every team at exactly its target size, or empty
// when the items cannot be packed that way.
std::vector<int> BalanceTeams(const std::vector<BalanceItem>& items, const std::vector<int>& target);

// Largest minus smallest team average of an assignment (teams without players are skipped).
double TeamAverageSpread(const std::vector<BalanceItem>& items, const std::vector<int>& team_of,
                         int teams);

// Tickets are solved exactly up to this many free items (and teams^items ≤ kExactBudget).
inline constexpr int kExactBalanceItems = 12;
inline constexpr long kExactBudget = 300000;

}  // namespace muster::matchmaking
