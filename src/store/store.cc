// Physical table names for store::Table. These names are part of the on-disk format of every
// engine (SQLite table names, PostgreSQL table names): never rename one, add a migration instead.

#include "store/store.h"

#include <unordered_map>

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

void CoalesceWrites(std::vector<Write>* writes) {
  if (writes->size() < 2) return;
  auto key_of = [](const Write& w) { return std::to_string(static_cast<int>(w.table)) + '\0' + w.row.id; };
  // A row that an Update or a Delete touches in this batch keeps every write (its versions count).
  std::unordered_map<std::string, bool> versioned;
  for (const Write& w : *writes) {
    if (w.op == Write::Op::kUpdate || w.op == Write::Op::kDelete) versioned[key_of(w)] = true;
  }
  std::unordered_map<std::string, std::size_t> last;  // table + id → index in `out` of its last write
  std::vector<Write> out;
  out.reserve(writes->size());
  for (Write& w : *writes) {
    std::string key = key_of(w);
    auto it = last.find(key);
    if (it != last.end() && w.op == Write::Op::kUpsert && !versioned.count(key)) {
      Write& prev = out[it->second];
      if (prev.op == Write::Op::kInsert || prev.op == Write::Op::kUpsert) {
        prev.row = std::move(w.row);
        continue;
      }
    }
    last[std::move(key)] = out.size();
    out.push_back(std::move(w));
  }
  *writes = std::move(out);
}

}  // namespace muster::store
