// EnsureSelfSignedCertificate: a P-256 key and a self-signed certificate for localhost made with
// the OpenSSL API, written atomically (temp file + rename; the key with mode 0600).

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "net/http_server.h"

namespace muster::net {
namespace {

constexpr long kValiditySeconds = 10L * 365 * 24 * 3600;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

Status AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Error::Internal(std::string("cannot add certificate extension ") + value);
  }
  return OkStatus();
}

Result<std::string> ToPem(bool key, EVP_PKEY* pkey, X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio) return Error::Internal("BIO_new failed");
  int ok = key ? PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr)
               : PEM_write_bio_X509(bio.get(), cert);
  if (ok != 1) return Error::Internal("PEM encoding failed");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Status WriteFileAtomically(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Error::Internal("cannot create " + tmp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Error::Internal("cannot write " + tmp + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Error::Internal("cannot flush " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Error::Internal("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace

Result<TlsOptions> EnsureSelfSignedCertificate(const std::string& dir) {
  namespace fs = std::filesystem;
  TlsOptions out{(fs::path(dir) / "cert.pem").string(), (fs::path(dir) / "key.pem").string()};
  std::error_code fs_ec;
  if (fs::exists(out.cert_file, fs_ec) && fs::exists(out.key_file, fs_ec)) return out;
  fs::create_directories(dir, fs_ec);
  if (fs_ec) return Error::Internal("cannot create " + dir + ": " + fs_ec.message());

  Ptr<EVP_PKEY> pkey(EVP_EC_gen("P-256"));
  if (!pkey) return Error::Internal("cannot generate a P-256 key");
  Ptr<X509> cert(X509_new());
  if (!cert) return Error::Internal("X509_new failed");
  X509_set_version(cert.get(), 2);  // v3
  Ptr<BIGNUM> serial(BN_new());
  if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
    return Error::Internal("cannot make a serial number");
  }
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds);
  X509_set_pubkey(cert.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  MUSTER_RETURN_IF_ERROR(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  MUSTER_RETURN_IF_ERROR(AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature"));
  MUSTER_RETURN_IF_ERROR(AddExtension(cert.get(), NID_ext_key_usage, "serverAuth"));
  MUSTER_RETURN_IF_ERROR(AddExtension(cert.get(), NID_subject_key_identifier, "hash"));
  MUSTER_RETURN_IF_ERROR(
      AddExtension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"));
  if (X509_sign(cert.get(), pkey.get(), EVP_sha256()) <= 0) {
    return Error::Internal("cannot sign the certificate");
  }

  MUSTER_ASSIGN_OR_RETURN(std::string key_pem, ToPem(true, pkey.get(), nullptr));
  MUSTER_ASSIGN_OR_RETURN(std::string cert_pem, ToPem(false, nullptr, cert.get()));
  MUSTER_RETURN_IF_ERROR(WriteFileAtomically(out.key_file, key_pem, 0600));
  MUSTER_RETURN_IF_ERROR(WriteFileAtomically(out.cert_file, cert_pem, 0644));
  return out;
}

}  // namespace muster::net
