#pragma once
// Test helpers for WebSocket connections on the HTTP listener: a recorder of what the server-side
// callbacks saw, with an echo handler.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <thread>

#include <gtest/gtest.h>

#include "net/http_server.h"
#include "net/net_test_util.h"

namespace muster::net::testing {

// Records what the server-side callbacks saw.
struct WsRecorder {
  std::mutex mu;
  std::shared_ptr<WsConnection> last;
  std::vector<std::string> messages;
  std::map<std::uint64_t, std::vector<std::uint16_t>> closes;  // id → codes (should be one)
  std::atomic<int> opened{0};
  std::map<std::uint64_t, int> closing;  // id → on_closing calls (should be one)
  bool closing_after_close = false;

  WsCallbacks Echo(WsEngine engine = WsEngine::kBeast) {
    WsCallbacks cb;
    cb.engine = engine;
    cb.on_open = [this](const std::shared_ptr<WsConnection>& c) {
      std::lock_guard lock(mu);
      last = c;
      opened++;
    };
    cb.on_message = [this](const std::shared_ptr<WsConnection>& c, std::string&& text) {
      {
        std::lock_guard lock(mu);
        messages.push_back(text);
      }
      c->Send("echo:" + text);
    };
    cb.on_closing = [this](const std::shared_ptr<WsConnection>& c) {
      std::lock_guard lock(mu);
      // Once, and before on_close.
      if (closes.count(c->Id())) closing_after_close = true;
      closing[c->Id()]++;
    };
    cb.on_close = [this](const std::shared_ptr<WsConnection>& c, std::uint16_t code) {
      std::lock_guard lock(mu);
      closes[c->Id()].push_back(code);
    };
    return cb;
  }

  std::size_t CloseCount() {
    std::lock_guard lock(mu);
    std::size_t n = 0;
    for (auto& [id, codes] : closes) n += codes.size();
    return n;
  }
  std::vector<std::uint16_t> Codes() {
    std::lock_guard lock(mu);
    std::vector<std::uint16_t> out;
    for (auto& [id, codes] : closes) out.insert(out.end(), codes.begin(), codes.end());
    return out;
  }
};

// A server for WebSocket tests with its recorder: waits for closes, shuts down before the
// connections the recorder holds outlive the loop.
struct WsServer {
  // Waits until on_close ran codes.size() times in all, then a little longer to catch
  // duplicates; the codes in connection order.
  void ExpectCloses(const std::vector<std::uint16_t>& codes, int timeout_ms = 3000) {
    ASSERT_TRUE(ServerHarness::WaitFor([&] { return rec.CloseCount() >= codes.size(); }, timeout_ms));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(rec.Codes(), codes);
    // Every closed connection heard on_closing once, before on_close.
    std::lock_guard lock(rec.mu);
    EXPECT_FALSE(rec.closing_after_close);
    for (const auto& [id, codes_of] : rec.closes) EXPECT_EQ(rec.closing[id], 1) << "connection " << id;
  }
  std::shared_ptr<WsConnection> Last() {
    std::lock_guard lock(rec.mu);
    return rec.last;
  }
  // WebSocket connections must not outlive the io_context.
  void Shutdown() {
    harness.Shutdown();
    std::lock_guard lock(rec.mu);
    rec.last.reset();
  }

  WsRecorder rec;
  ServerHarness harness;
};

}  // namespace muster::net::testing
