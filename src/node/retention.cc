#include "node/retention.h"

#include <initializer_list>
#include <utility>

#include "fleet/model.h"
#include "matchmaking/lifecycle.h"
#include "placement/placement_core.h"

namespace muster::node {
namespace {

using store::Table;

struct Kind {
  Table table;
  std::vector<std::string> statuses;
  Millis RetentionOptions::*retention;
};

std::vector<Kind> Kinds() {
  using matchmaking::TicketStatus;
  using fleet::GameSessionStatus;
  using fleet::PlayerSessionStatus;
  using placement::PlacementStatus;
  return {
      {Table::kTickets,
       {matchmaking::TicketStatusName(TicketStatus::kCompleted),
        matchmaking::TicketStatusName(TicketStatus::kFailed),
        matchmaking::TicketStatusName(TicketStatus::kCancelled),
        matchmaking::TicketStatusName(TicketStatus::kTimedOut)},
       &RetentionOptions::ticket_ms},
      {Table::kGameSessions,
       {fleet::GameSessionStatusName(GameSessionStatus::kTerminated),
        fleet::GameSessionStatusName(GameSessionStatus::kError)},
       &RetentionOptions::session_ms},
      {Table::kPlayerSessions,
       {fleet::PlayerSessionStatusName(PlayerSessionStatus::kCompleted),
        fleet::PlayerSessionStatusName(PlayerSessionStatus::kTimedOut)},
       &RetentionOptions::session_ms},
      {Table::kPlacements,
       {placement::PlacementStatusName(PlacementStatus::kFulfilled),
        placement::PlacementStatusName(PlacementStatus::kCancelled),
        placement::PlacementStatusName(PlacementStatus::kTimedOut),
        placement::PlacementStatusName(PlacementStatus::kFailed)},
       &RetentionOptions::session_ms},
      {Table::kProcesses,
       {fleet::ProcessStatusName(fleet::ProcessStatus::kTerminated)},
       &RetentionOptions::process_ms},
      // Credentials are ACTIVE rows until deleted; their lifetime is capped, so a row issued
      // longer ago than the cap has expired.
      {Table::kCredentials, {"ACTIVE"}, &RetentionOptions::credential_lifetime_ms},
  };
}

}  // namespace

Retention::Retention(store::Store& store, const Clock& clock, RetentionOptions options)
    : store_(store), clock_(clock), options_(options) {}

Result<RetentionReport> Retention::Run() {
  RetentionReport report;
  const Millis now = clock_.NowMillis();
  for (const Kind& kind : Kinds()) {
    Millis keep = options_.*kind.retention;
    if (keep <= 0) continue;
    for (const std::string& status : kind.statuses) {
      MUSTER_ASSIGN_OR_RETURN(std::size_t n,
                              store_.PurgeByStatus(kind.table, status, now - keep, options_.batch));
      report.rows += n;
      if (n >= options_.batch) report.more = true;
    }
  }
  return report;
}

}  // namespace muster::node
