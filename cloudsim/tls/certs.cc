#include "cloudsim/tls/certs.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace envctl::cloudsim {
namespace {

std::string OpenSslError(const std::string& what) {
  char buf[256] = {0};
  ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
  ERR_clear_error();
  return what + ": " + buf;
}

bool AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

X509* NewCert(EVP_PKEY* key, const std::string& cn, long valid_days) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  // Backdated an hour so clients with slightly skewed clocks accept it.
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), valid_days * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("envctl cloudsim"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

bool WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  ok = std::fclose(f) == 0 && ok;
  ::chmod(tmp.c_str(), mode);
  return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

std::string PemOf(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string PemOf(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

}  // namespace

TlsMaterial::~TlsMaterial() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

absl::StatusOr<std::unique_ptr<TlsMaterial>> TlsMaterial::LoadOrCreate(
    const std::string& state_dir, const std::vector<std::string>& ip_sans,
    const std::vector<std::string>& dns_sans) {
  const std::string ca_path = state_dir + "/ca.pem";
  const std::string key_path = state_dir + "/ca-key.pem";
  EVP_PKEY* ca_key = nullptr;
  X509* ca = nullptr;
  FILE* kf = std::fopen(key_path.c_str(), "rb");
  FILE* cf = std::fopen(ca_path.c_str(), "rb");
  if (kf != nullptr && cf != nullptr) {
    ca_key = PEM_read_PrivateKey(kf, nullptr, nullptr, nullptr);
    ca = PEM_read_X509(cf, nullptr, nullptr, nullptr);
  }
  if (kf != nullptr) std::fclose(kf);
  if (cf != nullptr) std::fclose(cf);
  bool loaded = ca_key != nullptr && ca != nullptr;
  if (!loaded && (kf != nullptr && cf != nullptr)) {
    EVP_PKEY_free(ca_key);
    X509_free(ca);
    return absl::DataLossError(OpenSslError("cannot read the CA in " + state_dir +
                                            " (delete ca.pem and ca-key.pem to regenerate)"));
  }
  if (!loaded) {
    ca_key = EVP_EC_gen("P-256");
    if (ca_key == nullptr) return absl::InternalError(OpenSslError("EC key generation"));
    ca = NewCert(ca_key, "envctl cloudsim CA", 3650);
    X509_set_issuer_name(ca, X509_get_subject_name(ca));
    AddExt(ca, ca, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    AddExt(ca, ca, NID_subject_key_identifier, "hash");
    if (X509_sign(ca, ca_key, EVP_sha256()) == 0) {
      EVP_PKEY_free(ca_key);
      X509_free(ca);
      return absl::InternalError(OpenSslError("signing the CA"));
    }
    if (!WriteFile(key_path, PemOf(ca_key), 0600) || !WriteFile(ca_path, PemOf(ca), 0644)) {
      EVP_PKEY_free(ca_key);
      X509_free(ca);
      return absl::FailedPreconditionError("cannot write the CA files into " + state_dir);
    }
  }

  EVP_PKEY* leaf_key = EVP_EC_gen("P-256");
  X509* leaf = NewCert(leaf_key, "127.0.0.1", 365);
  X509_set_issuer_name(leaf, X509_get_subject_name(ca));
  std::vector<std::string> sans;
  for (const auto& ip : ip_sans) sans.push_back("IP:" + ip);
  for (const auto& dns : dns_sans) sans.push_back("DNS:" + dns);
  bool ok = AddExt(leaf, ca, NID_basic_constraints, "critical,CA:FALSE") &&
            AddExt(leaf, ca, NID_key_usage, "critical,digitalSignature,keyAgreement") &&
            AddExt(leaf, ca, NID_ext_key_usage, "serverAuth") &&
            AddExt(leaf, ca, NID_subject_key_identifier, "hash") &&
            AddExt(leaf, ca, NID_authority_key_identifier, "keyid:always") &&
            AddExt(leaf, ca, NID_subject_alt_name, absl::StrJoin(sans, ",")) &&
            X509_sign(leaf, ca_key, EVP_sha256()) != 0;
  std::unique_ptr<TlsMaterial> out(new TlsMaterial());
  out->ca_file_ = ca_path;
  if (ok) {
    out->ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(out->ctx_, TLS1_2_VERSION);
    ok = SSL_CTX_use_certificate(out->ctx_, leaf) == 1 &&
         SSL_CTX_use_PrivateKey(out->ctx_, leaf_key) == 1 &&
         SSL_CTX_add1_chain_cert(out->ctx_, ca) == 1;
  }
  std::string error = ok ? "" : OpenSslError("issuing the server certificate");
  X509_free(leaf);
  EVP_PKEY_free(leaf_key);
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  if (!ok) return absl::InternalError(error);
  return out;
}

}  // namespace envctl::cloudsim
