#include "identity/es256.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <vector>

#include "common/crypto.h"

namespace muster::identity {

struct Es256Key::KeyHolder {
  EVP_PKEY* pkey = nullptr;
  ~KeyHolder() { EVP_PKEY_free(pkey); }
};

namespace {

std::string Base64UrlDecode(std::string_view in) {
  static const auto kTable = [] {
    std::array<int, 256> t{};
    t.fill(-1);
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = i;
    return t;
  }();
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    int v = kTable[static_cast<unsigned char>(c)];
    if (v < 0) return std::string("\x01invalid", 8);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

Result<std::string> PublicDer(EVP_PKEY* pkey) {
  int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) return Error::Internal("cannot encode public key");
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_PUBKEY(pkey, &p);
  return der;
}

Result<std::string> Finish(EVP_PKEY* pkey, std::string& pem_out) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return Error::Internal("BIO_new failed");
  if (PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    BIO_free(bio);
    return Error::Internal("cannot encode the signing key as PEM");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  pem_out.assign(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  MUSTER_ASSIGN_OR_RETURN(std::string der, PublicDer(pkey));
  return Sha256Hex(der).substr(0, 16);
}

}  // namespace

Result<Es256Key> Es256Key::Generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!pkey) return Error::Internal("cannot generate a P-256 key");
  Es256Key k;
  k.key_ = std::make_shared<KeyHolder>();
  k.key_->pkey = pkey;
  MUSTER_ASSIGN_OR_RETURN(k.kid_, Finish(pkey, k.private_pem_));
  return k;
}

Result<Es256Key> Es256Key::FromPrivatePem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return Error::Internal("BIO_new_mem_buf failed");
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!pkey) return Error::Internal("the stored OpenID signing key is not a readable PEM key");
  Es256Key k;
  k.key_ = std::make_shared<KeyHolder>();
  k.key_->pkey = pkey;
  if (EVP_PKEY_get_bits(pkey) != 256 || !EVP_PKEY_is_a(pkey, "EC")) {
    return Error::Internal("the stored OpenID signing key is not a P-256 key");
  }
  MUSTER_ASSIGN_OR_RETURN(k.kid_, Finish(pkey, k.private_pem_));
  return k;
}

json::object Es256Key::PublicJwk() const {
  json::object jwk{{"kty", "EC"}, {"crv", "P-256"}, {"kid", kid_}, {"alg", "ES256"}, {"use", "sig"}};
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  if (EVP_PKEY_get_bn_param(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
      EVP_PKEY_get_bn_param(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1) {
    std::string xb(32, '\0'), yb(32, '\0');
    BN_bn2binpad(x, reinterpret_cast<unsigned char*>(xb.data()), 32);
    BN_bn2binpad(y, reinterpret_cast<unsigned char*>(yb.data()), 32);
    jwk["x"] = Base64UrlEncode(xb);
    jwk["y"] = Base64UrlEncode(yb);
  }
  BN_free(x);
  BN_free(y);
  return jwk;
}

Result<std::string> Es256Key::SignJwt(const json::object& claims) const {
  json::object header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kid_}};
  std::string signing_input =
      Base64UrlEncode(ToJson(header)) + "." + Base64UrlEncode(ToJson(claims));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return Error::Internal("EVP_MD_CTX_new failed");
  std::size_t der_len = 0;
  std::vector<unsigned char> der;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &der_len,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  if (ok) {
    der.resize(der_len);
    ok = EVP_DigestSign(ctx, der.data(), &der_len,
                        reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return Error::Internal("ES256 signing failed");
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len));
  if (!sig) return Error::Internal("cannot decode the ECDSA signature");
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return signing_input + "." + Base64UrlEncode(raw);
}

Result<json::object> Es256Key::VerifyJwt(std::string_view token) const {
  std::size_t d1 = token.find('.');
  std::size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos) return Error::Unauthorized("token is not a JWT");
  std::string header_json = Base64UrlDecode(token.substr(0, d1));
  std::string claims_json = Base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1));
  std::string raw = Base64UrlDecode(token.substr(d2 + 1));
  if (raw.size() != 64) return Error::Unauthorized("token signature is not 64 bytes");
  MUSTER_ASSIGN_OR_RETURN(json::value header, ParseJson(header_json));
  const json::object* h = header.if_object();
  if (!h || !h->contains("alg") || h->at("alg") != "ES256") {
    return Error::Unauthorized("token algorithm is not ES256");
  }
  if (!h->contains("kid") || h->at("kid") != kid_.c_str()) {
    return Error::Unauthorized("token was signed by another key");
  }
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (der_len <= 0) return Error::Unauthorized("bad token signature");
  std::string_view signing_input = token.substr(0, d2);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
            EVP_DigestVerify(ctx, der, static_cast<std::size_t>(der_len),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  if (!ok) return Error::Unauthorized("token signature does not verify");
  MUSTER_ASSIGN_OR_RETURN(json::value claims, ParseJson(claims_json));
  if (!claims.is_object()) return Error::Unauthorized("token claims are not an object");
  return claims.as_object();
}

}  // namespace muster::identity
