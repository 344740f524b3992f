//! A wrapper for values that must never be printed.
use zeroize::Zeroize;

/// Holds a secret. `Debug` and `Display` print `Secret(<redacted>)`; the inner
/// value is wiped on drop. There is deliberately no `Serialize`.
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }
    /// Read the secret. Callers keep the borrow short and never log it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Secret(self.0.clone())
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl<T: Zeroize> std::fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new(b"hunter2-very-secret".to_vec());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert!(!format!("{s}").contains("hunter2"));
        assert_eq!(s.expose().as_slice(), b"hunter2-very-secret");
    }
}
