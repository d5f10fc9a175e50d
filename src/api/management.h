#pragma once
// The matchmaking operations of the management API (the GameLift control plane, WIRE.md §2):
// rule sets, configurations and tickets, called as POST / with X-Amz-Target GameLift.<Op> and an
// awsJson1_1 body. The Router checks the SigV4 signature (admin credentials) before Handle.
//
//   CreateMatchmakingRuleSet, ValidateMatchmakingRuleSet, DescribeMatchmakingRuleSets,
//   DeleteMatchmakingRuleSet, CreateMatchmakingConfiguration, DescribeMatchmakingConfigurations,
//   UpdateMatchmakingConfiguration, DeleteMatchmakingConfiguration, StartMatchmaking,
//   DescribeMatchmaking, StopMatchmaking, AcceptMatch, StartMatchBackfill, StopMatchBackfill
//
// Every request is parsed completely (unknown fields, types, lengths, ranges) before anything
// changes. Shapes and errors: docs/management-api.md.
//
// Threads: Handle(op, body) runs on the thread of the matchmaking side the operation concerns,
// like the parts of the Node it calls (definitions, tickets). Handle(op, body, respond) may run
// on any thread: it parses StartMatchmaking where it is called and posts the rest to that thread
// (Node::RunOnConfiguration, RunOnTicket or RunOnDefinitions, by the field that names the
// configuration or the ticket), whence the answers come; DescribeMatchmaking, which reads only
// committed tickets, is answered where it is called.

#include <string_view>

#include "common/json.h"
#include "net/http_server.h"
#include "node/node.h"

namespace muster::api {

class ManagementApi {
 public:
  // Tickets started here are matched when the node's run scheduler fires (Node::SetRunScheduler).
  explicit ManagementApi(node::Node& node);

  // `op` is the part of X-Amz-Target after "GameLift.".
  net::HttpResponse Handle(std::string_view op, std::string_view body);
  // The same, answered through `respond` from the node's thread: StartMatchmaking from its commit's
  // completion (Node::StartMatchmakingAsync), the other operations once they ran.
  void Handle(std::string_view op, std::string_view body, net::Responder respond);

  // Operations answered by this class (for the router's "unknown operation" message and tests).
  static bool Knows(std::string_view op);

 private:
  struct StartRequest {
    std::string configuration;
    std::vector<matchmaking::PlayerInput> players;
    std::string ticket_id;
  };
  static Result<json::value> ParseBody(std::string_view body);
  static Result<StartRequest> ReadStart(JsonObjectReader& r);
  Result<json::object> CreateMatchmakingRuleSet(JsonObjectReader& r);
  Result<json::object> ValidateMatchmakingRuleSet(JsonObjectReader& r);
  Result<json::object> DescribeMatchmakingRuleSets(JsonObjectReader& r);
  Result<json::object> DeleteMatchmakingRuleSet(JsonObjectReader& r);
  Result<json::object> CreateMatchmakingConfiguration(JsonObjectReader& r);
  Result<json::object> DescribeMatchmakingConfigurations(JsonObjectReader& r);
  Result<json::object> UpdateMatchmakingConfiguration(JsonObjectReader& r);
  Result<json::object> DeleteMatchmakingConfiguration(JsonObjectReader& r);
  Result<json::object> StartMatchmaking(JsonObjectReader& r);
  Result<json::object> DescribeMatchmaking(JsonObjectReader& r);
  Result<json::object> StopMatchmaking(JsonObjectReader& r);
  Result<json::object> AcceptMatch(JsonObjectReader& r);
  Result<json::object> StartMatchBackfill(JsonObjectReader& r);
  Result<json::object> StopMatchBackfill(JsonObjectReader& r);

  json::object TicketJson(const matchmaking::Ticket& t) const;

  node::Node& node_;
};

}  // namespace muster::api
