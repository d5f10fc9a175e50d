// TLS: self-signed certificate creation, wss echo with TLS 1.2 and TLS 1.3 forced on the client,
// upgrade rejection over TLS, bad certificate configuration.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/http_client.h"
#include "net/net_test_util.h"

namespace muster::net {
namespace {

using testing::RawClient;
using testing::ServerHarness;

std::string TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("muster_net_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

WsCallbacks Echo() {
  WsCallbacks cb;
  cb.on_message = [](const std::shared_ptr<WsConnection>& c, std::string&& text) {
    c->Send("echo:" + text);
  };
  return cb;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("tls");
    auto tls = EnsureSelfSignedCertificate(dir_);
    ASSERT_TRUE(tls.ok()) << tls.error().message;
    ListenOptions options;
    options.tls = *tls;
    port_ = harness_.Start(
        options, [](HttpRequest&&, Responder respond) { respond(HttpResponse{}); },
        [](const HttpRequest& req) -> std::variant<WsCallbacks, HttpResponse> {
          if (!req.tls) return HttpResponse{500, "", {}, "expected tls"};
          if (req.Header("authorization") == nullptr) {
            return HttpResponse{401, "application/json", {}, R"({"error":"Unauthorized"})"};
          }
          return Echo();
        });
    ASSERT_NE(port_, 0) << harness_.error;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void EchoWithVersion(int version, const std::string& expected) {
    WsTestClient client;
    client.ForceTlsVersion(version);
    Status st = client.Connect("127.0.0.1", port_, "/", true, {{"Authorization", "token"}});
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(client.TlsVersion(), expected);
    ASSERT_TRUE(client.Send("secure").ok());
    auto reply = client.Receive();
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_EQ(*reply, "echo:secure");
    EXPECT_TRUE(client.Close().ok());
  }

  std::string dir_;
  ServerHarness harness_;
  std::uint16_t port_ = 0;
};

TEST_F(TlsTest, WssEchoWithTls12) { EchoWithVersion(12, "TLSv1.2"); }

TEST_F(TlsTest, WssEchoWithTls13) { EchoWithVersion(13, "TLSv1.3"); }

TEST_F(TlsTest, WssEchoWithDefaultVersion) { EchoWithVersion(0, "TLSv1.3"); }

TEST_F(TlsTest, UpgradeRejectedOverTls) {
  WsTestClient client;
  Status st = client.Connect("127.0.0.1", port_, "/", true);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("HTTP 401"), std::string::npos) << st.error().message;
}

TEST_F(TlsTest, PlainBytesOnTlsPortAreDropped) {
  RawClient c(port_);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string got = c.ReadUntilClosed(3000);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(got.find("HTTP/1.1 200"), std::string::npos);
}

TEST(SelfSignedCertificateTest, CreatesOnceAndReuses) {
  std::string dir = TempDir("cert");
  auto first = EnsureSelfSignedCertificate(dir + "/nested");
  ASSERT_TRUE(first.ok()) << first.error().message;
  std::string cert = ReadFile(first->cert_file);
  std::string key = ReadFile(first->key_file);
  EXPECT_NE(cert.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(key.find("PRIVATE KEY"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(first->key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = EnsureSelfSignedCertificate(dir + "/nested");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(ReadFile(second->cert_file), cert);
  std::filesystem::remove_all(dir);
}

TEST(SelfSignedCertificateTest, BadCertificateFilesFailListen) {
  std::string dir = TempDir("badcert");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/cert.pem") << "not a certificate";
  std::ofstream(dir + "/key.pem") << "not a key";
  boost::asio::io_context ioc;
  HttpServer server(ioc);
  ListenOptions options;
  options.tls = TlsOptions{dir + "/cert.pem", dir + "/key.pem"};
  auto r = server.Listen(options, [](HttpRequest&&, Responder respond) { respond({}); });
  EXPECT_FALSE(r.ok());
  options.tls = TlsOptions{dir + "/missing.pem", dir + "/key.pem"};
  HttpServer other(ioc);
  EXPECT_FALSE(other.Listen(options, [](HttpRequest&&, Responder respond) { respond({}); }).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace muster::net
