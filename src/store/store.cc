// Physical table names for store::Table. These names are part of the on-disk format of every
// engine (SQLite table names, PostgreSQL table names): never rename one, add a migration instead.

#include "store/store.h"

namespace muster::store {

const char* TableName(Table t) {
  switch (t) {
    case Table::kIdentities: return "identities";
    case Table::kCredentials: return "credentials";
    case Table::kPlayerData: return "player_data";
    case Table::kConnections: return "connections";
    case Table::kTickets: return "tickets";
    case Table::kMatches: return "matches";
    case Table::kPlacements: return "placements";
    case Table::kGameSessions: return "game_sessions";
    case Table::kPlayerSessions: return "player_sessions";
    case Table::kFleets: return "fleets";
    case Table::kLocations: return "locations";
    case Table::kComputes: return "computes";
    case Table::kProcesses: return "processes";
    case Table::kQueues: return "queues";
    case Table::kConfigurations: return "configurations";
    case Table::kRuleSets: return "rule_sets";
    case Table::kCursors: return "cursors";
  }
  return "invalid_table";
}

}  // namespace muster::store
