#pragma once
// ES256 (ECDSA P-256 + SHA-256) JSON Web Tokens for GetOpenIdToken, on OpenSSL 3. The private key
// travels as PKCS#8 PEM so it can be kept in the store and shared by every node.
//   token = b64url(header) "." b64url(claims) "." b64url(R || S)   (R, S 32 bytes each, RFC 7518)
//
// Thread safety: an Es256Key is immutable after creation; Sign and Verify may run on any thread.

#include <memory>
#include <string>
#include <string_view>

#include "common/json.h"
#include "common/result.h"

namespace muster::identity {

class Es256Key {
 public:
  static Result<Es256Key> Generate();
  static Result<Es256Key> FromPrivatePem(std::string_view pem);

  const std::string& private_pem() const { return private_pem_; }
  // Key id: the first 16 hex chars of sha256 of the public key (DER).
  const std::string& kid() const { return kid_; }
  // The public key as a JWK object {"kty":"EC","crv":"P-256","x","y","kid","alg","use"}.
  json::object PublicJwk() const;

  // Signs header {"alg":"ES256","typ":"JWT","kid":kid} with the given claims.
  Result<std::string> SignJwt(const json::object& claims) const;
  // Checks the signature and the kid; returns the claims (expiry is the caller's business).
  Result<json::object> VerifyJwt(std::string_view token) const;

 private:
  struct KeyHolder;
  std::shared_ptr<KeyHolder> key_;
  std::string private_pem_;
  std::string kid_;
};

}  // namespace muster::identity
