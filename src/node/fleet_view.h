#pragma once
// What the connection loops need to know of the fleet before a game server's connection reaches
// the node's thread: the computes (to check an auth token at the upgrade) and which processes are
// live (a claim of a pID bound to another IdempotencyToken is refused while that process lives).
//
// Kept current by the node as its commits succeed (the processes' committed status), so a loop
// reads what is durable; computes are set at start and at a reload.
//
// Thread safety: one reader-writer lock. The Replace*/Apply methods from one thread at a time
// (Apply from the writer's completions, in commit order; Replace* on the node's thread at start and at a
// reload, when no commit of the live state is in flight: a definitions commit may be, but holds
// no process); Authenticate and ProcessLive from any thread.

#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "fleet/model.h"
#include "store/store.h"

namespace muster::node {

class FleetView {
 public:
  explicit FleetView(const Clock& clock) : clock_(clock) {}

  // The computes by key (fleet/compute), as a whole.
  void ReplaceComputes(std::unordered_map<std::string, fleet::Compute> computes);
  // The live (not TERMINATED) processes by key, as a whole (start, reload).
  void ReplaceLiveProcesses(std::unordered_set<std::string> keys);
  // Process rows of a commit that succeeded (other tables are skipped).
  void Apply(const std::vector<store::Write>& writes);

  // As FleetCore::Authenticate, against the computes held.
  Status Authenticate(std::string_view fleet_id, std::string_view compute_name, std::string_view token) const;
  bool ProcessLive(const std::string& key) const;

 private:
  const Clock& clock_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, fleet::Compute> computes_;  // GUARDED_BY(mu_)
  std::unordered_set<std::string> live_;                      // GUARDED_BY(mu_)
};

}  // namespace muster::node
