//! Randomness, behind a small trait so tests can inject their own.

use rand::RngCore;
use ring::rand::{SecureRandom, SystemRandom};

/// A cryptographically secure source of random bytes.
///
/// The default, [`SystemEntropy`], draws from a thread-local CSPRNG that is
/// seeded and periodically reseeded from the operating system (`rand`'s
/// `ThreadRng`): a system call per token would cost more than the token's
/// HMAC. Long-lived secrets (signing keys) are drawn straight from the OS
/// with [`ring::rand::SystemRandom`] instead; see [`crate::SigningKey::generate`].
///
/// ```
/// use xsrf_core::{Entropy, SystemEntropy};
/// let mut a = [0u8; 16];
/// let mut b = [0u8; 16];
/// SystemEntropy.fill(&mut a);
/// SystemEntropy.fill(&mut b);
/// assert_ne!(a, b);
/// ```
pub trait Entropy: Send + Sync + 'static {
    /// Fills `dest` with random bytes.
    fn fill(&self, dest: &mut [u8]);
}

/// The default entropy source; see [`Entropy`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemEntropy;

impl Entropy for SystemEntropy {
    fn fill(&self, dest: &mut [u8]) {
        rand::rng().fill_bytes(dest);
    }
}

/// Fills `dest` straight from the operating system.
pub(crate) fn os_fill(dest: &mut [u8]) -> Result<(), crate::ConfigError> {
    SystemRandom::new()
        .fill(dest)
        .map_err(|_| crate::ConfigError::Random)
}
