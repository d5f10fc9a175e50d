#include "common/crypto.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <future>
#include <set>
#include <vector>

namespace muster {
namespace {

TEST(Crypto, Sha256KnownAnswer) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Crypto, HmacKnownAnswer) {
  // RFC 4231 test cases 1, 2 and 6 (a key longer than the block is hashed first).
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(Hex(HmacSha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, HmacAndSha256AgreeWithOpenSslsOneShots) {
  // Keys around the block size (63, 64, 65 bytes) and data of every small length, from
  // several threads (each has its own context).
  auto check = [] {
    int bad = 0;
    for (std::size_t klen : {0, 1, 32, 63, 64, 65, 200}) {
      for (std::size_t dlen = 0; dlen < 300; dlen += 7) {
        std::string key = RandomBytes(klen), data = RandomBytes(dlen);
        unsigned char mac[EVP_MAX_MD_SIZE], dig[SHA256_DIGEST_LENGTH];
        unsigned int len = 0;
        HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
        SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), dig);
        if (HmacSha256(key, data) != std::string(reinterpret_cast<char*>(mac), len)) ++bad;
        if (Sha256(data) != std::string(reinterpret_cast<char*>(dig), sizeof dig)) ++bad;
      }
    }
    return bad;
  };
  std::vector<std::future<int>> runs;
  for (int t = 0; t < 4; ++t) runs.push_back(std::async(std::launch::async, check));
  for (auto& r : runs) EXPECT_EQ(r.get(), 0);
}

TEST(Crypto, Base64) {
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(Crypto, Uuid4ShapeAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = Uuid4();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[14], '4');
    EXPECT_TRUE(seen.insert(u).second);
  }
}

TEST(Crypto, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

}  // namespace
}  // namespace muster
