// CheckpointSigner: the Ed25519 key that signs audit checkpoints, kept in the data folder
// (audit-signing.key, readable by the owner only). The public key is what an outside party
// keeps to check later that the trail was not rewritten, even by someone holding the database.
#pragma once

#include <memory>
#include <string>

#include "custos/core/status.h"

namespace custos::audit {

class CheckpointSigner {
 public:
  // Loads the key from `path`, creating it (mode 0600) when the file does not exist.
  // kFailedPrecondition when the file exists but is not a key.
  static Result<std::unique_ptr<CheckpointSigner>> LoadOrCreate(const std::string& path);

  // 64-byte detached signature, hex.
  std::string Sign(std::string_view message) const;
  std::string public_key_hex() const { return public_key_hex_; }
  // First 16 hex digits of SHA-256 of the public key.
  std::string key_id() const { return key_id_; }

  // Checks a signature made by the holder of `public_key_hex`.
  static bool VerifySignature(std::string_view public_key_hex, std::string_view message,
                              std::string_view signature_hex);
  static std::string KeyIdOf(std::string_view public_key_hex);

 private:
  CheckpointSigner(std::string secret_key, std::string public_key);
  std::string secret_key_;  // 64 bytes (libsodium layout)
  std::string public_key_hex_;
  std::string key_id_;
};

// The message signed for a checkpoint at `sequence` whose event hash is `hash`.
std::string CheckpointMessage(std::int64_t sequence, std::string_view hash, std::string_view time);

}  // namespace custos::audit
