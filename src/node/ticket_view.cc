#include "node/ticket_view.h"

namespace muster::node {
namespace {

bool EndedStatus(const std::string& s) {
  return s == "COMPLETED" || s == "FAILED" || s == "CANCELLED" || s == "TIMED_OUT";
}

}  // namespace

void TicketView::Apply(const std::vector<store::Write>& writes) {
  std::lock_guard lock(mu_);
  for (const auto& w : writes) {
    if (w.table != store::Table::kTickets) continue;
    if (w.op == store::Write::Op::kDelete) {
      auto it = tickets_.find(w.row.id);
      if (it != tickets_.end()) {
        if (it->second.ended) --ended_count_;
        tickets_.erase(it);
      }
      continue;
    }
    PutLocked(w.row);
  }
}

void TicketView::Put(const store::Row& row) {
  std::lock_guard lock(mu_);
  PutLocked(row);
}

void TicketView::PutLocked(store::Row row) {
  const bool ended = EndedStatus(row.status);
  std::string id = row.id;
  Entry& e = tickets_[id];
  const bool was_ended = e.ended;
  e.row = std::move(row);
  e.decoded.reset();
  e.generation = ++generations_;
  e.ended = ended;
  if (was_ended) --ended_count_;
  if (!ended) return;
  ++ended_count_;
  if (!was_ended) ended_.push_back(std::move(id));
  // Drop the oldest ended tickets beyond the bound (an id in the queue may belong to a ticket
  // deleted or searching again since: only an entry that is still ended counts).
  while (ended_count_ > max_ended_ && !ended_.empty()) {
    auto it = tickets_.find(ended_.front());
    ended_.pop_front();
    if (it != tickets_.end() && it->second.ended) {
      tickets_.erase(it);
      --ended_count_;
    }
  }
}

std::optional<Result<matchmaking::Ticket>> TicketView::Find(const std::string& ticket_id) const {
  std::shared_ptr<const matchmaking::Ticket> decoded;
  store::Row row;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    auto it = tickets_.find(ticket_id);
    if (it == tickets_.end()) return std::nullopt;
    const Entry& e = it->second;
    if (e.decoded) {
      decoded = e.decoded;
    } else {
      row = e.row;
      generation = e.generation;
    }
  }
  if (!decoded) {
    auto t = matchmaking::MatchmakingCore::FromRow(row);
    if (!t.ok()) return Result<matchmaking::Ticket>(t.take_error());
    decoded = std::make_shared<const matchmaking::Ticket>(std::move(t).value());
    std::lock_guard lock(mu_);
    auto it = tickets_.find(ticket_id);
    // Kept only if the entry still holds the row it was decoded from.
    if (it != tickets_.end() && it->second.generation == generation && !it->second.decoded) {
      it->second.decoded = decoded;
    }
  }
  return Result<matchmaking::Ticket>(*decoded);
}

std::size_t TicketView::size() const {
  std::lock_guard lock(mu_);
  return tickets_.size();
}

}  // namespace muster::node
