//! Password hashing (argon2id, a random salt per password) and the password rule.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

/// Why a new password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRule {
    #[error("a password needs at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("a password may have at most {MAX_LENGTH} characters")]
    TooLong,
    #[error("a password may not contain the user name")]
    ContainsUsername,
}

pub fn check(username: &str, password: &str) -> Result<(), PasswordRule> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordRule::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordRule::TooLong);
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(PasswordRule::ContainsUsername);
    }
    Ok(())
}

/// The PHC string to store. Slow on purpose (tens of ms): run it off the async threads.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    // Hashing with default parameters and a fresh salt only fails on impossible inputs.
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash of nothing, verified against when the user does not exist, so that a wrong user name
/// takes as long to refuse as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not a password of anyone"))
}

/// A random password for generated accounts: 16 characters from an unambiguous alphabet.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn the_rule_refuses_short_long_and_name_bearing_passwords() {
        assert_eq!(check("zhang", "short"), Err(PasswordRule::TooShort));
        assert_eq!(check("zhang", &"x".repeat(300)), Err(PasswordRule::TooLong));
        assert_eq!(check("zhang", "my-ZHANG-password"), Err(PasswordRule::ContainsUsername));
        assert_eq!(check("zhang", "网格员的密码很长很长"), Ok(()));
    }

    #[test]
    fn generated_passwords_pass_the_rule_and_differ() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert_eq!(check("demo_admin", &a), Ok(()));
    }
}
