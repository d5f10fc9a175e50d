#pragma once
// The persistence interface. Muster keeps every durable fact here: identities, credentials,
// player data, tickets, matches, placements, game sessions, player sessions, fleets, locations,
// processes, queues, configurations, rule sets, and the event outbox.
//
// Model: each table holds rows of (id, index, status, body JSON, version, updated). `index` is one
// secondary key per row (the owning identity of a ticket, the game session of a player session,
// the access key's identity...), `status` is the row's lifecycle state so that non-terminal rows can
// be listed on recovery. Every write is conditional on the version the writer last saw (optimistic
// concurrency), so several processes or nodes may share one database safely: a writer that lost a
// race gets kConflict and re-reads. Nothing here assumes a single process.
//
// Versions: an inserted row gets version 1; each successful update bumps it by one.
//
// Ordering: "ordered by id" means byte-wise (memcmp) order of the UTF-8 id, as SQLite's BINARY
// collation and PostgreSQL's COLLATE "C"; "A" < "a" < "b" < "é".
// Ids are non-empty (an empty id, or a Table or Write::Op outside its enum, is kInvalidArgument).
//
// Thread safety: a Store may be called from several threads; engines serialise internally.
// Engines: SQLite (embedded, the default; see sqlite_store.h) and PostgreSQL (later). Every engine
// must pass the conformance suite in store_conformance.h.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace muster::store {

enum class Table {
  kIdentities,      // id = identity id; index = pool id
  kCredentials,     // id = access key id; index = identity id
  kPlayerData,      // id = identity id (player id)
  kConnections,     // id = connection id; index = identity id
  kTickets,         // id = ticket id; index = identity id ("" for API-started tickets); status
  kMatches,         // id = match id; index = configuration name; status
  kPlacements,      // id = placement id; index = queue name; status
  kGameSessions,    // id = game session id (ARN); index = process key; status
  kPlayerSessions,  // id = player session id; index = game session id; status
  kFleets,          // id = fleet id
  kLocations,       // id = location name
  kComputes,        // id = fleet id + "/" + compute name; index = fleet id
  kProcesses,       // id = process key (fleet/compute/pID); index = fleet id; status
  kQueues,          // id = queue name
  kConfigurations,  // id = configuration name
  kRuleSets,        // id = rule set name
  kCursors,         // id = outbox subscriber name; body = {"seq":N}, the last event it handled
};
constexpr int kTableCount = 17;
// Physical table name ("identities", "tickets", ...).
const char* TableName(Table t);

struct Row {
  std::string id;
  std::string index;
  std::string status;
  std::string body;        // a JSON document owned by the module that writes the table
  std::int64_t version = 0;
  Millis updated = 0;      // set by the writer (the store does not read the clock)
};

// One write inside a Commit.
//   kInsert: fails with kConflict if the id exists.
//   kUpdate: fails with kConflict unless the stored version equals expected_version.
//   kUpsert: unconditional insert-or-replace (for rows with one writer, e.g. defaults); the
//            version becomes 1 if the row was absent, else stored version + 1.
//   kDelete: fails with kConflict unless the stored version equals expected_version
//            (expected_version 0 = delete whatever is there, no-op if absent).
// Writes of one Commit apply in order: a later write sees the effect of earlier ones (insert then
// update with expected_version 1 in one commit is valid).
struct Write {
  enum class Op { kInsert, kUpdate, kUpsert, kDelete };
  Op op = Op::kInsert;
  Table table = Table::kIdentities;
  Row row;                          // row.version is ignored; the store assigns it
  std::int64_t expected_version = 0;

  static Write Insert(Table t, Row r) { return {Op::kInsert, t, std::move(r), 0}; }
  static Write Update(Table t, Row r, std::int64_t expected) {
    return {Op::kUpdate, t, std::move(r), expected};
  }
  static Write Upsert(Table t, Row r) { return {Op::kUpsert, t, std::move(r), 0}; }
  static Write Delete(Table t, std::string id, std::int64_t expected = 0) {
    Row r;
    r.id = std::move(id);
    return {Op::kDelete, t, std::move(r), expected};
  }
};

// An event appended to the durable outbox in the same transaction as the writes it describes.
struct EventAppend {
  std::string topic;  // e.g. "matchmaking", "placement"
  std::string body;   // JSON
  Millis time = 0;
};

// One commit among the several of a group commit (Store::CommitGroup).
struct Batch {
  std::vector<Write> writes;
  std::vector<EventAppend> events;
  // The batches of one shard (a matchmaking configuration, a placement queue...) build on each
  // other: once one of them fails, the later ones of the same shard are not applied. Empty: the
  // batch depends on no other.
  std::string shard;

  bool empty() const { return writes.empty() && events.empty(); }
};

struct Event {
  std::int64_t seq = 0;  // strictly increasing across the whole store; never reused, even after
                         // TrimEvents removed every event
  std::string topic;
  std::string body;
  Millis time = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<std::optional<Row>> Get(Table table, std::string_view id) = 0;

  // Rows whose index equals `index`, ordered by id, at most `limit`.
  virtual Result<std::vector<Row>> ListByIndex(Table table, std::string_view index,
                                               std::size_t limit) = 0;

  // Rows whose status equals `status`, ordered by id, starting after `after_id` (paging), at most
  // `limit`.
  virtual Result<std::vector<Row>> ListByStatus(Table table, std::string_view status,
                                                std::string_view after_id,
                                                std::size_t limit) = 0;

  // All rows of a table ordered by id, after `after_id`, at most `limit`.
  virtual Result<std::vector<Row>> List(Table table, std::string_view after_id,
                                        std::size_t limit) = 0;

  // Applies all writes and appends all events atomically, or nothing. kConflict names the first
  // write whose condition failed. Durable when it returns ok (per the engine's sync setting).
  virtual Status Commit(const std::vector<Write>& writes,
                        const std::vector<EventAppend>& events = {}) = 0;

  // Group commit: applies several independent batches in ONE transaction, so that many callers
  // share one durable sync. Each batch is all-or-nothing on its own: a batch that is invalid
  // (kInvalidArgument) or whose write fails its condition (kConflict) is undone alone, with its
  // events, and its slot of the result says why; the other batches commit, except the later
  // batches of the same non-empty shard, which are not applied (kUnavailable, naming the shard).
  // Batches apply in order (a later batch sees the writes of the earlier ones that committed).
  // The result has one Status per batch. An error for the whole call (the transaction failed: I/O,
  // a full disk, the write lock not obtained in time) means that no batch was applied.
  virtual Result<std::vector<Status>> CommitGroup(const std::vector<Batch>& batches) = 0;

  // Outbox events with seq > after_seq, in seq order, at most `limit`.
  virtual Result<std::vector<Event>> ReadEvents(std::int64_t after_seq, std::size_t limit) = 0;

  // The highest seq ever appended to the outbox (0 when none ever was), even when TrimEvents
  // removed it.
  virtual Result<std::int64_t> LastEventSeq() = 0;

  // Deletes outbox events with seq <= up_to_seq (after every consumer has seen them). Idempotent.
  virtual Status TrimEvents(std::int64_t up_to_seq) = 0;

  // Deletes at most `limit` rows of `table` whose status equals `status` and whose `updated` is
  // earlier than `updated_before`, oldest `updated` first, in one transaction; returns how many it
  // deleted. For the retention of rows that ended long ago (their versions are not checked: an
  // ended row has no writer left).
  virtual Result<std::size_t> PurgeByStatus(Table table, std::string_view status,
                                            Millis updated_before, std::size_t limit) = 0;

  // Engine name for logs ("sqlite", "postgres").
  virtual std::string Engine() const = 0;
};

// Folds the writes of one batch that hit the same row into one: an Upsert after an Insert or an
// Upsert of the same table and id replaces the earlier write's row (keeping its place and its
// op). The row ends as the writes one by one would leave it, except its version, which moves by
// one for the batch instead of once per write; so a row that an Update or a Delete (which check
// versions) touches in the batch keeps all its writes.
void CoalesceWrites(std::vector<Write>* writes);

// Convenience: a single-write commit.
inline Status CommitOne(Store& s, Write w) { return s.Commit({std::move(w)}); }

}  // namespace muster::store
