//! Ed25519 signing keys. Files hold one line: `ed25519-secret:<base64 seed>` (private,
//! mode 0600) or `ed25519:<base64 public key>`. The private key comes from a file or an
//! environment variable at run time and is never written into a store, a report or a log.

use crate::canonical;
use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use std::path::Path;

const SECRET_PREFIX: &str = "ed25519-secret:";
const PUBLIC_PREFIX: &str = "ed25519:";

/// A private signing key.
pub struct Signer25519(SigningKey);

impl std::fmt::Debug for Signer25519 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "Signer25519({})", self.public().fingerprint())
    }
}

/// A public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl Signer25519 {
    /// A new random key.
    pub fn generate() -> Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| Error::Crypto { message: format!("no randomness available: {e}") })?;
        Ok(Signer25519(SigningKey::from_bytes(&seed)))
    }

    /// Parses the text of a private key file (or environment variable).
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let bad = || Error::Credentials {
            message: format!("{origin} is not a driftgate signing key"),
            help: Some("expected one line `ed25519-secret:<base64>`, as written by `driftgate evidence keygen`".into()),
        };
        let b64 = text.trim().strip_prefix(SECRET_PREFIX).ok_or_else(bad)?;
        let bytes: [u8; 32] = B64.decode(b64).ok().and_then(|b| b.try_into().ok()).ok_or_else(bad)?;
        Ok(Signer25519(SigningKey::from_bytes(&bytes)))
    }

    /// Reads a private key file.
    pub fn from_file(path: &Path) -> Result<Self> {
        Self::parse(&crate::input::read_text(path)?, &path.display().to_string())
    }

    /// Reads a private key from the environment variable `var`.
    pub fn from_env(var: &str) -> Result<Self> {
        let text = std::env::var(var).map_err(|_| Error::Credentials {
            message: format!("environment variable {var} is not set"),
            help: Some("it must hold the signing key written by `driftgate evidence keygen`".into()),
        })?;
        Self::parse(&text, &format!("environment variable {var}"))
    }

    /// The private key file's text.
    pub fn to_file_text(&self) -> String {
        format!("{SECRET_PREFIX}{}\n", B64.encode(self.0.to_bytes()))
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message`; the signature in base64.
    pub fn sign(&self, message: &[u8]) -> String {
        B64.encode(self.0.sign(message).to_bytes())
    }
}

impl PublicKey {
    /// Parses the text of a public key file.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let bad = || Error::Usage {
            message: format!("{origin} is not a driftgate public key"),
            help: Some("expected one line `ed25519:<base64>`, as written by `driftgate evidence keygen`".into()),
        };
        let b64 = text.trim().strip_prefix(PUBLIC_PREFIX).ok_or_else(bad)?;
        let bytes: [u8; 32] = B64.decode(b64).ok().and_then(|b| b.try_into().ok()).ok_or_else(bad)?;
        VerifyingKey::from_bytes(&bytes).map(PublicKey).map_err(|_| bad())
    }

    /// The public key file's text.
    pub fn to_file_text(&self) -> String {
        format!("{PUBLIC_PREFIX}{}\n", B64.encode(self.0.to_bytes()))
    }

    /// SHA-256 of the raw 32-byte key, hex: what manifests record.
    pub fn fingerprint(&self) -> String {
        canonical::sha256_hex(self.0.as_bytes())
    }

    /// Whether `signature` (base64) is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        let Ok(bytes) = B64.decode(signature) else { return false };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(&bytes) else { return false };
        self.0.verify(message, &sig).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_signatures_verify() {
        let k = Signer25519::generate().unwrap();
        let again = Signer25519::parse(&k.to_file_text(), "k").unwrap();
        let p = PublicKey::parse(&k.public().to_file_text(), "p").unwrap();
        let sig = again.sign(b"hello");
        assert!(p.verify(b"hello", &sig));
        assert!(!p.verify(b"hellO", &sig));
        assert!(!Signer25519::generate().unwrap().public().verify(b"hello", &sig));
        assert!(!format!("{k:?}").contains(k.to_file_text().trim()));
    }

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 section 7.1, TEST 1: empty message.
        let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        let seed: [u8; 32] = (0..32)
            .map(|i| u8::from_str_radix(&seed[2 * i..2 * i + 2], 16).unwrap())
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        let k = Signer25519(SigningKey::from_bytes(&seed));
        let sig = B64.decode(k.sign(b"")).unwrap();
        assert_eq!(
            canonical::hex(&sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }
}
