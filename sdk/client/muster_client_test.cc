// The client against a loopback HTTP server that plays the identity API and a client API which
// verifies every SigV4 signature with the server-side verifier.
#include "sdk/client/muster_client.h"

#include <gtest/gtest.h>

#include <mutex>

#include "auth/sigv4.h"
#include "sdk/client/test_servers.h"

namespace muster::client {
namespace {

struct ParsedHttp {
  std::string method, path, query, body;
  std::vector<std::pair<std::string, std::string>> headers;
};

bool RequestComplete(const std::string& b) {
  auto end = b.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  auto cl = b.find("Content-Length: ");
  if (cl == std::string::npos || cl > end) return true;
  return b.size() >= end + 4 + std::stoul(b.substr(cl + 16));
}

ParsedHttp Parse(const std::string& raw) {
  ParsedHttp p;
  auto end = raw.find("\r\n\r\n");
  std::string head = raw.substr(0, end);
  p.body = raw.substr(end + 4);
  auto line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  auto sp1 = line.find(' '), sp2 = line.rfind(' ');
  p.method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto q = target.find('?');
  p.path = target.substr(0, q);
  if (q != std::string::npos) p.query = target.substr(q + 1);
  std::size_t pos = line_end + 2;
  while (pos < head.size()) {
    auto e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string h = head.substr(pos, e - pos);
    auto colon = h.find(':');
    p.headers.emplace_back(h.substr(0, colon), h.substr(colon + 2));
    pos = e + 2;
  }
  return p;
}

std::string Reply(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

class FakeBackend {
 public:
  FakeBackend()
      : server_(RequestComplete, [this](const std::string& raw) { return Handle(Parse(raw)); }) {}
  std::uint16_t port() const { return server_.port(); }
  int status_polls = 0;
  int polls_before_placed = 2;
  std::vector<std::string> seen;

 private:
  std::string Handle(const ParsedHttp& r) {
    std::lock_guard<std::mutex> lock(mu_);
    seen.push_back(r.method + " " + r.path + (r.query.empty() ? "" : "?" + r.query));
    for (const auto& [k, v] : r.headers) {
      if (k == "X-Amz-Target" && v == "AWSCognitoIdentityService.GetId") {
        return Reply(200, R"({"IdentityId":"local:id-1"})");
      }
      if (k == "X-Amz-Target" && v == "AWSCognitoIdentityService.GetCredentialsForIdentity") {
        return Reply(200, R"({"IdentityId":"local:id-1","Credentials":{"AccessKeyId":"ASIATESTTESTTESTTEST",)"
                          R"("SecretKey":"secret","SessionToken":"token","Expiration":1700003600}})");
      }
    }
    auth::SecretLookup lookup = [](std::string_view ak) -> Result<auth::SecretLookupResult> {
      if (ak != "ASIATESTTESTTESTTEST") return Error::Unauthorized("unknown");
      return auth::SecretLookupResult{"secret", "token"};
    };
    auth::SignableRequest sr{r.method, r.path, r.query, r.headers, r.body};
    auto v = auth::VerifyRequest(sr, lookup, {"execute-api", "local"}, SystemClock::Instance().NowMillis());
    if (!v.ok()) return Reply(403, R"({"message":"signature: )" + v.error().message + "\"}");
    if (r.path == "/requestmatchmaking") return Reply(200, R"({"TicketId":"ticket-1","Status":"QUEUED"})");
    if (r.path == "/v1/locations") {
      return Reply(200, R"({"Locations":[{"Location":"custom-local-a","PingEndpoint":"127.0.0.1:7777"}]})");
    }
    if (r.path == "/requestmatchstatus") {
      if (r.query != "ticketId=ticket-1") return Reply(404, R"({"message":"no such ticket"})");
      if (++status_polls <= polls_before_placed) {
        return Reply(200, R"({"IpAddress":"","Port":0,"PlayerSessionId":"NotPlacedYet","DnsName":""})");
      }
      return Reply(200, R"({"IpAddress":"127.0.0.1","Port":7777,"PlayerSessionId":"psess-9","DnsName":"localhost"})");
    }
    return Reply(404, R"({"message":"no route"})");
  }
  std::mutex mu_;
  testing::TcpServer server_;
};

ClientOptions Options(std::uint16_t port) {
  ClientOptions o;
  o.endpoint = *ParseEndpoint("http://127.0.0.1:" + std::to_string(port));
  o.pool_id = "local:00000000-0000-0000-0000-000000000000";
  o.http_timeout_ms = 3000;
  return o;
}

TEST(MusterClient, PollingFlowWithVerifiedSignatures) {
  FakeBackend backend;
  MusterClient client(Options(backend.port()));
  ASSERT_TRUE(client.Login().ok());
  EXPECT_EQ(client.identity_id(), "local:id-1");
  EXPECT_EQ(client.credentials().access_key_id, "ASIATESTTESTTESTTEST");
  EXPECT_EQ(client.credentials_expiration(), 1'700'003'600'000);
  auto locations = client.FetchLocations();
  ASSERT_TRUE(locations.ok()) << locations.error().message;
  EXPECT_EQ(locations->at(0).location, "custom-local-a");
  auto ticket = client.RequestMatchmaking({{"custom-local-a", 12}});
  ASSERT_TRUE(ticket.ok()) << ticket.error().message;
  EXPECT_EQ(*ticket, "ticket-1");
  int polls = 0;
  auto placed = client.WaitForPlacement(*ticket, 5000, {10, 2.0, 50},
                                        [&](const std::string&) { ++polls; });
  ASSERT_TRUE(placed.ok()) << placed.error().message;
  EXPECT_EQ(placed->player_session_id, "psess-9");
  EXPECT_EQ(placed->port, 7777);
  EXPECT_EQ(polls, 2);
  EXPECT_EQ(backend.seen.at(3), "GET /requestmatchmaking?latencies=custom-local-a_12");
}

TEST(MusterClient, PollingTimesOutAndTerminalErrorsStop) {
  FakeBackend backend;
  backend.polls_before_placed = 1000;
  MusterClient client(Options(backend.port()));
  ASSERT_TRUE(client.Login().ok());
  auto r = client.WaitForPlacement("ticket-1", 200, {20, 1.0, 20});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("was not placed within"), std::string::npos) << r.error().message;
  auto missing = client.WaitForPlacement("other", 2000, {20, 1.0, 20});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("no such ticket"), std::string::npos);
}

TEST(MusterClient, RefusesToCallSignedRoutesBeforeLogin) {
  MusterClient client(Options(1));
  auto r = client.RequestMatchmaking({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized);
}

TEST(MusterClient, ConnectionRefusedIsUnavailable) {
  std::uint16_t port = 0;
  ::close(testing::BindLoopback(SOCK_STREAM, port));
  MusterClient client(Options(port));
  Status st = client.Login();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(st.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << st.error().message;
}

TEST(MusterClient, SignedRequestCarriesHostAndToken) {
  ClientOptions o = Options(8080);
  MusterClient client(o);
  // Not logged in: signing still shapes the request (empty key), for inspection.
  auth::SignableRequest r = client.BuildSigned("GET", "/requestmatchstatus", "ticketId=t", "");
  bool host = false, auth = false;
  for (const auto& [k, v] : r.headers) {
    if (k == "Host") host = v == "127.0.0.1:8080";
    if (k == "Authorization") auth = v.find("/local/execute-api/aws4_request") != std::string::npos;
  }
  EXPECT_TRUE(host);
  EXPECT_TRUE(auth);
}

}  // namespace
}  // namespace muster::client
