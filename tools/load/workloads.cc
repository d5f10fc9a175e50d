#include "tools/load/workloads.h"

#include <algorithm>

#include "common/clock.h"
#include "common/json.h"

namespace muster::load {
namespace {

enum Kind { kOnly = 0 };

std::string WireName(const std::string& mode) {
  if (mode == "start") return "StartMatchmaking";
  if (mode == "describe") return "DescribeMatchmaking";
  if (mode == "request") return "GET /requestmatchmaking";
  if (mode == "status") return "GET /requestmatchstatus";
  return mode;
}

class StartWorkload final : public Workload {
 public:
  StartWorkload(const Setup& s, int thread) : s_(s), prefix_("load-" + std::to_string(thread) + "-") {}
  bool Next(std::size_t, std::string* out, int* kind) override {
    json::object player{{"PlayerId", prefix_ + std::to_string(next_++)}};
    json::object body{{"ConfigurationName", s_.configuration}, {"Players", json::array{player}}};
    *out = Serialize(ManagementRequest(s_, "StartMatchmaking", ToJson(body)));
    *kind = kOnly;
    return true;
  }
  bool Done(std::size_t, int, const Response& r) override { return r.status == 200; }

 private:
  const Setup& s_;
  std::string prefix_;
  std::uint64_t next_ = 0;
};

class DescribeWorkload final : public Workload {
 public:
  DescribeWorkload(const Setup& s, int thread, int threads) : s_(s) {
    for (std::size_t i = static_cast<std::size_t>(thread); i < s.ticket_ids.size(); i += static_cast<std::size_t>(threads)) {
      mine_.push_back(&s.ticket_ids[i]);
    }
  }
  bool Next(std::size_t, std::string* out, int* kind) override {
    if (mine_.empty()) return false;
    const std::string& id = *mine_[next_++ % mine_.size()];
    json::object body{{"TicketIds", json::array{json::value(id)}}};
    *out = Serialize(ManagementRequest(s_, "DescribeMatchmaking", ToJson(body)));
    *kind = kOnly;
    return true;
  }
  bool Done(std::size_t, int, const Response& r) override {
    return r.status == 200 && r.body.find("\"TicketId\"") != std::string::npos;
  }

 private:
  const Setup& s_;
  std::vector<const std::string*> mine_;
  std::size_t next_ = 0;
};

void Signed(const Setup& s, const Guest& g, auth::SignableRequest* r) {
  r->headers = {{"Host", s.host_header}};
  auth::SignRequest(*r, g.credentials, s.region, "execute-api", SystemClock::Instance().NowMillis());
}

// status: signed GET /requestmatchstatus, round robin over this thread's guests and their tickets.
class StatusWorkload final : public Workload {
 public:
  StatusWorkload(const Setup& s, int thread, int threads) : s_(s) {
    for (std::size_t i = static_cast<std::size_t>(thread); i < s.guests.size(); i += static_cast<std::size_t>(threads)) {
      if (!s.guests[i].ticket_id.empty()) mine_.push_back(&s.guests[i]);
    }
  }
  bool Next(std::size_t, std::string* out, int* kind) override {
    if (mine_.empty()) return false;
    const Guest& g = *mine_[next_++ % mine_.size()];
    auth::SignableRequest r;
    r.method = "GET";
    r.path = "/requestmatchstatus";
    r.query = "ticketId=" + g.ticket_id;
    Signed(s_, g, &r);
    *out = Serialize(r);
    *kind = 0;
    return true;
  }
  bool Done(std::size_t, int, const Response& r) override { return r.status == 200; }

 private:
  const Setup& s_;
  std::vector<const Guest*> mine_;
  std::size_t next_ = 0;
};

// request: a player holds one live ticket at a time, so each guest starts a ticket
// (GET /requestmatchmaking) and cancels it (DELETE /v1/matchmaking/<id>) in turn. Each
// connection has guests of its own, so a guest's requests never overlap.
class RequestWorkload final : public Workload {
 public:
  enum Kind { kRequest = 0, kCancel = 1 };
  RequestWorkload(const Setup& s, std::size_t first_guest, std::size_t guests, std::size_t connections) : s_(s) {
    per_conn_.resize(connections);
    for (std::size_t i = 0; i < guests; ++i) per_conn_[i % connections].push_back({&s.guests[first_guest + i], ""});
    next_.assign(connections, 0);
  }
  bool Next(std::size_t conn, std::string* out, int* kind) override {
    auto& mine = per_conn_[conn];
    if (mine.empty()) return false;
    State& g = mine[next_[conn] % mine.size()];
    auth::SignableRequest r;
    if (g.live_ticket.empty()) {
      r.method = "GET";
      r.path = "/requestmatchmaking";
      r.query = s_.request_query;
      *kind = kRequest;
    } else {
      r.method = "DELETE";
      r.path = "/v1/matchmaking/" + g.live_ticket;
      *kind = kCancel;
    }
    Signed(s_, *g.guest, &r);
    *out = Serialize(r);
    return true;
  }
  bool Done(std::size_t conn, int kind, const Response& r) override {
    auto& mine = per_conn_[conn];
    State& g = mine[next_[conn] % mine.size()];
    ++next_[conn];
    if (kind == kCancel) {
      // Refused (the ticket was matched, ended or is gone): the guest starts a new one anyway.
      g.live_ticket.clear();
      return r.status == 200;
    }
    if (r.status != 200) return false;
    auto parsed = ParseJson(r.body, JsonLimits{.max_bytes = 1 << 20});
    const json::value* id = parsed.ok() && parsed->is_object() ? parsed->get_object().if_contains("TicketId") : nullptr;
    if (!id || !id->is_string()) return false;
    g.live_ticket = std::string(id->get_string());
    return true;
  }

 private:
  struct State {
    const Guest* guest;
    std::string live_ticket;
  };
  const Setup& s_;
  std::vector<std::vector<State>> per_conn_;
  std::vector<std::size_t> next_;
};

}  // namespace

bool KnownMode(const std::string& mode) {
  return mode == "start" || mode == "describe" || mode == "request" || mode == "status";
}

std::vector<std::string> KindNames(const std::string& mode) {
  if (mode == "request") return {WireName(mode), "DELETE /v1/matchmaking/<id>"};
  return {WireName(mode)};
}

std::unique_ptr<Workload> MakeWorkload(const Setup& setup, int thread, int threads, std::size_t connections) {
  if (setup.mode == "start") return std::make_unique<StartWorkload>(setup, thread);
  if (setup.mode == "describe") return std::make_unique<DescribeWorkload>(setup, thread, threads);
  if (setup.mode == "status") return std::make_unique<StatusWorkload>(setup, thread, threads);
  // request: the guests are split between the threads as the connections are (the first
  // n % threads threads get one more), so a thread has at least one guest per connection.
  const std::size_t n = setup.guests.size(), t = static_cast<std::size_t>(thread), ts = static_cast<std::size_t>(threads);
  const std::size_t first = t * (n / ts) + std::min(t, n % ts), count = n / ts + (t < n % ts ? 1 : 0);
  return std::make_unique<RequestWorkload>(setup, first, count, connections);
}

std::string Serialize(const auth::SignableRequest& r) {
  std::string out;
  out.reserve(512 + r.body.size());
  out += r.method;
  out += ' ';
  out += r.path;
  if (!r.query.empty()) {
    out += '?';
    out += r.query;
  }
  out += " HTTP/1.1\r\n";
  for (const auto& [name, value] : r.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!r.body.empty() || r.method == "POST") {
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += r.body;
  return out;
}

auth::SignableRequest ManagementRequest(const Setup& s, const std::string& operation,
                                        const std::string& body) {
  auth::SignableRequest r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"Host", s.host_header},
               {"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "GameLift." + operation}};
  r.body = body;
  auth::SignRequest(r, s.admin, s.region, "gamelift", SystemClock::Instance().NowMillis());
  return r;
}

}  // namespace muster::load
