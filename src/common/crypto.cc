#include "common/crypto.h"

#include "common/env.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>
#include <stdexcept>

namespace muster {

namespace {

// OpenSSL 3's one-shot SHA256() and HMAC() look the algorithm up by name on every call (about
// 1.5 µs of a 2 µs HMAC; every signed request needs six). The digest is fetched once here and each
// thread keeps its own context.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) throw std::runtime_error("OpenSSL has no SHA256");
    return m;
  }();
  return md;
}

class Sha256Ctx {
 public:
  Sha256Ctx() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr) throw std::runtime_error("EVP_MD_CTX_new failed");
  }
  ~Sha256Ctx() { EVP_MD_CTX_free(ctx_); }
  Sha256Ctx(const Sha256Ctx&) = delete;
  Sha256Ctx& operator=(const Sha256Ctx&) = delete;

  void Init() { Check(EVP_DigestInit_ex2(ctx_, Sha256Md(), nullptr)); }
  void Update(const void* p, std::size_t n) { Check(EVP_DigestUpdate(ctx_, p, n)); }
  void Final(unsigned char out[SHA256_DIGEST_LENGTH]) {
    unsigned int len = 0;
    Check(EVP_DigestFinal_ex(ctx_, out, &len));
  }

 private:
  static void Check(int ok) {
    if (ok != 1) throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  EVP_MD_CTX* ctx_;
};

Sha256Ctx& ThreadSha256() {
  thread_local Sha256Ctx ctx;
  return ctx;
}

constexpr std::size_t kShaBlock = 64;

}  // namespace

std::string Sha256(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  Sha256Ctx& h = ThreadSha256();
  h.Init();
  h.Update(data.data(), data.size());
  h.Final(out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

// HMAC as defined in RFC 2104: H((K0 ^ opad) || H((K0 ^ ipad) || data)), K0 the key padded to
// the block size (hashed first when longer).
std::string HmacSha256(std::string_view key, std::string_view data) {
  Sha256Ctx& h = ThreadSha256();
  unsigned char k0[kShaBlock] = {};
  if (key.size() > kShaBlock) {
    h.Init();
    h.Update(key.data(), key.size());
    h.Final(k0);
  } else {
    std::memcpy(k0, key.data(), key.size());
  }
  unsigned char pad[kShaBlock];
  unsigned char inner[SHA256_DIGEST_LENGTH];
  for (std::size_t i = 0; i < kShaBlock; ++i) pad[i] = static_cast<unsigned char>(k0[i] ^ 0x36);
  h.Init();
  h.Update(pad, kShaBlock);
  h.Update(data.data(), data.size());
  h.Final(inner);
  for (std::size_t i = 0; i < kShaBlock; ++i) pad[i] = static_cast<unsigned char>(k0[i] ^ 0x5c);
  unsigned char out[SHA256_DIGEST_LENGTH];
  h.Init();
  h.Update(pad, kShaBlock);
  h.Update(inner, sizeof inner);
  h.Final(out);
  OPENSSL_cleanse(k0, sizeof k0);
  OPENSSL_cleanse(pad, sizeof pad);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return Hex(Sha256(data)); }

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.resize(4 * ((bytes.size() + 2) / 3));
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out = Base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string RandomBytes(std::size_t n) { return SystemRandom::Instance().Bytes(n); }

std::string Uuid4() { return SystemRandom::Instance().Uuid4(); }

std::string RandomAlnum(std::size_t n, bool upper) {
  static const char* kLower = "abcdefghijklmnopqrstuvwxyz0123456789";
  static const char* kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const char* alphabet = upper ? kUpper : kLower;
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    std::string b = RandomBytes(n);
    for (unsigned char c : b) {
      if (c < 252 && out.size() < n) out.push_back(alphabet[c % 36]);  // 252 = 7*36: no bias
    }
  }
  return out;
}

}  // namespace muster
