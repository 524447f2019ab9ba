#include "custos/audit/checkpoint_signer.h"

#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "custos/core/crypto.h"

namespace custos::audit {

CheckpointSigner::CheckpointSigner(std::string secret_key, std::string public_key)
    : secret_key_(std::move(secret_key)),
      public_key_hex_(HexEncode(public_key)),
      key_id_(KeyIdOf(public_key_hex_)) {}

Result<std::unique_ptr<CheckpointSigner>> CheckpointSigner::LoadOrCreate(const std::string& path) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to start");
  std::string secret(crypto_sign_SECRETKEYBYTES, '\0');
  std::string public_key(crypto_sign_PUBLICKEYBYTES, '\0');
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string hex;
    in >> hex;
    std::string decoded;
    if (!HexDecode(hex, decoded) || decoded.size() != crypto_sign_SECRETKEYBYTES) {
      return Status::FailedPrecondition("audit signing key " + path + " is not an Ed25519 key");
    }
    secret = decoded;
    crypto_sign_ed25519_sk_to_pk(reinterpret_cast<unsigned char*>(public_key.data()),
                                 reinterpret_cast<const unsigned char*>(secret.data()));
  } else {
    crypto_sign_keypair(reinterpret_cast<unsigned char*>(public_key.data()),
                        reinterpret_cast<unsigned char*>(secret.data()));
    const std::string temporary = path + ".tmp";
    {
      std::ofstream out(temporary, std::ios::trunc);
      if (!out) return Status::Unavailable("cannot write audit signing key " + path);
      ::chmod(temporary.c_str(), 0600);
      out << HexEncode(secret) << "\n";
      if (!out.flush()) return Status::Unavailable("cannot write audit signing key " + path);
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) return Status::Unavailable("cannot write audit signing key " + path);
  }
  return std::unique_ptr<CheckpointSigner>(
      new CheckpointSigner(std::move(secret), std::move(public_key)));
}

std::string CheckpointSigner::Sign(std::string_view message) const {
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key_.data()));
  return HexEncode(signature);
}

bool CheckpointSigner::VerifySignature(std::string_view public_key_hex, std::string_view message,
                                       std::string_view signature_hex) {
  std::string public_key, signature;
  if (!HexDecode(public_key_hex, public_key) || public_key.size() != crypto_sign_PUBLICKEYBYTES)
    return false;
  if (!HexDecode(signature_hex, signature) || signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(
             reinterpret_cast<const unsigned char*>(signature.data()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

std::string CheckpointSigner::KeyIdOf(std::string_view public_key_hex) {
  return HexEncode(Sha256(public_key_hex)).substr(0, 16);
}

std::string CheckpointMessage(std::int64_t sequence, std::string_view hash, std::string_view time) {
  std::ostringstream message;
  message << "custos-audit-checkpoint-v1\n" << sequence << "\n" << hash << "\n" << time << "\n";
  return message.str();
}

}  // namespace custos::audit
