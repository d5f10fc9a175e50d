// The request parser alone: every size limit is enforced with an error, never an exception, and
// trailers never reach the header section.

#include "net/request_parser.h"

#include <gtest/gtest.h>

#include <boost/beast/http/error.hpp>

#include <string>
#include <string_view>

namespace muster::net::internal {
namespace {

namespace http = boost::beast::http;

struct Parsed {
  boost::system::error_code ec;
  bool done = false;
  RequestParser::Limit limit = RequestParser::Limit::kNone;
  std::string message;
  BeastRequest request;
};

// Feeds `input` in pieces of `step` bytes, as a connection's reads would.
Parsed Parse(std::string_view input, const Limits& limits, std::size_t step = 7) {
  RequestParser p(limits);
  p.eager(true);
  Parsed out;
  std::string pending;
  std::size_t pos = 0;
  while (!p.is_done()) {
    if (pos < input.size()) {
      std::size_t n = std::min(step, input.size() - pos);
      pending.append(input.substr(pos, n));
      pos += n;
    } else if (pending.empty()) {
      break;
    }
    boost::system::error_code ec;
    std::size_t used = p.Put(boost::asio::buffer(pending.data(), pending.size()), ec);
    pending.erase(0, used);
    if (ec == http::error::need_more) {
      if (pos >= input.size()) break;
      continue;
    }
    if (ec) {
      out.ec = ec;
      break;
    }
  }
  out.done = p.is_done();
  out.limit = p.limit_hit();
  out.message = p.LimitMessage();
  if (out.done) out.request = p.release();
  return out;
}

Limits Small() {
  Limits l;
  l.max_header_bytes = 1024;
  l.max_body_bytes = 100;
  return l;
}

TEST(RequestParser, ParsesAPlainRequest) {
  auto r = Parse("POST /a?b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", Small());
  ASSERT_TRUE(r.done) << r.ec.message();
  EXPECT_EQ(r.request.target(), "/a?b");
  EXPECT_EQ(r.request.body(), "abc");
  EXPECT_EQ(r.request[http::field::host], "x");
}

TEST(RequestParser, HeaderSectionOverTheLimitIsAnError) {
  for (std::size_t step : {7, 4096}) {
    auto r = Parse("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n",
                   Small(), step);
    EXPECT_FALSE(r.done) << step;
    EXPECT_EQ(r.ec, http::error::header_limit) << step;
  }
}

TEST(RequestParser, ManyFieldsArrivingInSmallReadsCountTogether) {
  // Beast consumes complete fields piecewise and checks its header_limit per put() only.
  std::string many;
  for (int i = 0; i < 100; ++i) many += "X-H" + std::to_string(i) + ": value\r\n";
  for (std::size_t step : {7, 512, 4096}) {
    auto r = Parse("GET / HTTP/1.1\r\nHost: x\r\n" + many + "\r\n", Small(), step);
    EXPECT_FALSE(r.done) << step;
    EXPECT_EQ(r.ec, http::error::header_limit) << step;
  }
}

TEST(RequestParser, ChunkedBodyAndTrailersWithinLimits) {
  auto r = Parse(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
      Small());
  ASSERT_TRUE(r.done) << r.ec.message();
  EXPECT_EQ(r.request.body(), "abcde");
  // RFC 9110 §6.5.1: the trailer is not merged into the header section.
  EXPECT_EQ(r.request.count("X-Trailer"), 0u);
}

TEST(RequestParser, TrailerFieldOf64KiBIsAnErrorNotAnException) {
  // Beast's own request_parser throws std::length_error here (a field of 64 KiB or more).
  Limits big;  // defaults: the trailer limit is max_header_bytes (16 KiB)
  std::string request =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
      "X-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
  Parsed r;
  EXPECT_NO_THROW(r = Parse(request, big, 100 * 1024));
  EXPECT_FALSE(r.done);
  EXPECT_EQ(r.ec, http::error::header_limit);
  EXPECT_EQ(r.limit, RequestParser::Limit::kTrailer);
  EXPECT_NE(r.message.find("trailer"), std::string::npos) << r.message;
}

TEST(RequestParser, ManySmallTrailerFieldsCountTogether) {
  std::string trailers;
  for (int i = 0; i < 100; ++i) trailers += "T" + std::to_string(i) + ": value\r\n";
  auto r = Parse(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n" + trailers +
          "\r\n",
      Small(), 4096);
  EXPECT_FALSE(r.done);
  EXPECT_EQ(r.limit, RequestParser::Limit::kTrailer);
}

TEST(RequestParser, ChunkExtensionsCountTogether) {
  std::string body;
  std::string ext = ";e=" + std::string(200, 'v');
  for (int i = 0; i < 10; ++i) body += "1" + ext + "\r\na\r\n";
  auto r = Parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body +
                     "0\r\n\r\n",
                 Small(), 4096);
  EXPECT_FALSE(r.done);
  EXPECT_EQ(r.limit, RequestParser::Limit::kChunkExtensions);
}

TEST(RequestParser, BodyLimitsHoldForEveryFraming) {
  auto declared = Parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n", Small());
  EXPECT_EQ(declared.ec, http::error::body_limit);
  std::string chunks;
  for (int i = 0; i < 11; ++i) chunks += "a\r\n" + std::string(10, 'x') + "\r\n";
  auto chunked = Parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks +
                           "0\r\n\r\n",
                       Small());
  EXPECT_EQ(chunked.ec, http::error::body_limit);
  auto exact = Parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" +
                         std::string(100, 'y'),
                     Small());
  EXPECT_TRUE(exact.done) << exact.ec.message();
}

// Beast's scan of a quoted chunk extension runs past the line's end and asks for more, again over
// the whole buffer on every later put (quadratic for a peer trickling bytes). Put refuses the line
// at the first CR inside the quote: nothing after it is ever needed.
TEST(RequestParser, ACrInsideAQuotedChunkExtensionIsRefusedAtOnce) {
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string line : {"4;a=\"x\r\n", "4;a=\"x\\\r\n", "4;a=\"x\n"}) {
    for (const char* prefix : {"", "2\r\nab\r\n"}) {  // the first chunk, or one after data
      const std::string input = head + prefix + line + std::string(20000, 'z');
      Limits l;
      l.max_header_bytes = 60 * 1024;
      RequestParser p(l);
      p.eager(true);
      std::string pending;
      std::size_t fed = 0;
      boost::system::error_code ec;
      while (fed < input.size()) {
        pending.push_back(input[fed++]);
        ec = {};
        pending.erase(0, p.Put(boost::asio::buffer(pending.data(), pending.size()), ec));
        if (ec && ec != http::error::need_more) break;
      }
      EXPECT_EQ(ec, http::error::bad_chunk_extension) << line << " after " << prefix;
      const std::size_t line_end = head.size() + std::string(prefix).size() + line.find_first_of("\r\n") + 1;
      EXPECT_EQ(fed, line_end) << line << " after " << prefix;
    }
  }
}

TEST(RequestParser, QuotedChunkExtensionsAndQuotesInChunkDataStillParse) {
  const std::string input =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;a=\"x\\\"y;z\"\r\n\"\r\n\"\r\n"  // an escaped quote; then data holding a quote and CRLF
      "3;b=\"\"\r\n\"\n\"\r\n"
      "0;c=\"q\"\r\nT: v\r\n\r\n";
  for (std::size_t step : {1, 2, 5, 4096}) {
    auto r = Parse(input, Small(), step);
    ASSERT_TRUE(r.done) << step << ": " << r.ec.message();
    EXPECT_EQ(r.request.body(), "\"\r\n\"\"\n\"") << step;
  }
}

TEST(RequestParser, DeclaredLengthIsNotReservedUpFront) {
  Limits l;
  l.max_body_bytes = 1024 * 1024;
  RequestParser p(l);
  boost::system::error_code ec;
  std::string head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n";
  p.Put(boost::asio::buffer(head), ec);
  EXPECT_FALSE(ec && ec != http::error::need_more) << ec.message();
  EXPECT_LE(p.get().body().capacity(), 64u * 1024);
}

TEST(RequestParser, ReadBufferLimitCoversAHeaderSection) {
  Limits l;
  EXPECT_GT(ReadBufferLimit(l), l.max_header_bytes);
  l.max_header_bytes = 1 << 20;  // clamped like the parser's own limit
  EXPECT_LE(ReadBufferLimit(l), kMaxHeaderBytesLimit + 16 * 1024);
}

}  // namespace
}  // namespace muster::net::internal
