#pragma once
// The committed matchmaking tickets, in memory, for the hot reads (the status routes, and
// DescribeMatchmaking): a read never touches the store for a ticket this view holds.
//
// The view changes only when a commit succeeded (Node::Publish hands it the batch's ticket rows),
// so nobody reads a change that is not durable. It holds every live ticket (loaded at start and
// at a reload) and the latest `max_ended` ended ones (COMPLETED, FAILED, CANCELLED, TIMED_OUT),
// oldest dropped first; a ticket it does not hold is read from the store by the caller. Rows are
// decoded on their first read, outside the view's lock (the loops' reads of other tickets do not
// wait for it), and kept decoded for later reads; the copy a reader gets is made outside the lock
// too.
//
// Thread safety: every method takes the view's lock. Apply and Put from one thread at a time (the
// writer's completions, in commit order; the node's thread at start and at a reload, when no
// commit of the live state is in flight: a definitions commit may be, but holds no ticket);
// Find from any thread.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "matchmaking/lifecycle.h"
#include "store/store.h"

namespace muster::node {

class TicketView {
 public:
  explicit TicketView(std::size_t max_ended = 100'000) : max_ended_(max_ended) {}

  // Ticket rows of a commit that succeeded (other tables are skipped).
  void Apply(const std::vector<store::Write>& writes);
  // A row read from the store (start, reload).
  void Put(const store::Row& row);

  // The ticket as committed; nullopt when the view does not hold it. A row that does not decode
  // is an error (kInternal), as it would be from the store.
  std::optional<Result<matchmaking::Ticket>> Find(const std::string& ticket_id) const;

  std::size_t size() const;

 private:
  struct Entry {
    store::Row row;
    std::shared_ptr<const matchmaking::Ticket> decoded;  // filled on first read
    std::uint64_t generation = 0;  // moves with each row put: a decode of an older row is not kept
    bool ended = false;
  };
  void PutLocked(store::Row row);  // REQUIRES(mu_)

  const std::size_t max_ended_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, Entry> tickets_;  // GUARDED_BY(mu_)
  std::deque<std::string> ended_;  // GUARDED_BY(mu_); ids as they ended, oldest first
  std::size_t ended_count_ = 0;    // GUARDED_BY(mu_); entries with ended = true
  std::uint64_t generations_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace muster::node
