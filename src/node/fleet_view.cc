#include "node/fleet_view.h"

#include <mutex>

namespace muster::node {

void FleetView::ReplaceComputes(std::unordered_map<std::string, fleet::Compute> computes) {
  std::unique_lock lock(mu_);
  computes_.swap(computes);
}

void FleetView::ReplaceLiveProcesses(std::unordered_set<std::string> keys) {
  std::unique_lock lock(mu_);
  live_.swap(keys);
}

void FleetView::Apply(const std::vector<store::Write>& writes) {
  static const std::string kTerminated = fleet::ProcessStatusName(fleet::ProcessStatus::kTerminated);
  bool any = false;
  for (const auto& w : writes) any = any || w.table == store::Table::kProcesses;
  if (!any) return;
  std::unique_lock lock(mu_);
  for (const auto& w : writes) {
    if (w.table != store::Table::kProcesses) continue;
    if (w.op == store::Write::Op::kDelete || w.row.status == kTerminated) {
      live_.erase(w.row.id);
    } else {
      live_.insert(w.row.id);
    }
  }
}

Status FleetView::Authenticate(std::string_view fleet_id, std::string_view compute_name,
                               std::string_view token) const {
  std::string key = std::string(fleet_id) + "/" + std::string(compute_name);
  std::shared_lock lock(mu_);
  auto it = computes_.find(key);
  return fleet::CheckComputeToken(it == computes_.end() ? nullptr : &it->second, fleet_id, compute_name, token,
                                  clock_.NowMillis());
}

bool FleetView::ProcessLive(const std::string& key) const {
  std::shared_lock lock(mu_);
  return live_.count(key) > 0;
}

}  // namespace muster::node
