//! Export in the `age` format (age-encryption.org/v1) so the standard `age`
//! tool can decrypt what Credence exports.
use crate::{CryptoError, Identity, PublicIdentity, Secret};
use bech32::{Bech32, Hrp};
use std::io::Write;
use std::str::FromStr;
use zeroize::Zeroize;

/// age's human-readable parts (age-encryption.org/v1, "X25519 recipient type").
const RECIPIENT_HRP: &str = "age";
const IDENTITY_HRP: &str = "AGE-SECRET-KEY-";

/// Room for "AGE-SECRET-KEY-1" + 52 data characters + 6 checksum characters
/// (74), so encoding never reallocates and leaves a partial copy behind.
const IDENTITY_CAPACITY: usize = 80;

/// The recipient string (`age1…`) of an identity's X25519 key.
pub fn age_recipient(pk: &PublicIdentity) -> String {
    age_recipient_of_key(&pk.enc)
}

/// The recipient string (`age1…`) of an X25519 public key.
pub fn age_recipient_of_key(enc: &[u8; 32]) -> String {
    let hrp = Hrp::parse(RECIPIENT_HRP).expect("\"age\" is a valid bech32 hrp");
    bech32::encode::<Bech32>(hrp, enc).expect("a 32-byte key fits bech32's length limit")
}

/// The X25519 key of an `age1…` recipient string (lower case, Bech32 with a
/// valid checksum, 32 bytes of key), as the `age` tool prints it.
pub fn parse_recipient(s: &str) -> Result<[u8; 32], CryptoError> {
    let bad = |why: &str| CryptoError::Age(format!("{s:?} is not an age X25519 recipient: {why}"));
    if s != s.to_lowercase() {
        return Err(bad("age recipients are lower case"));
    }
    let (hrp, data) = bech32::decode(s).map_err(|e| bad(&e.to_string()))?;
    if hrp.as_str() != RECIPIENT_HRP {
        return Err(bad("it must start with age1"));
    }
    // bech32::decode accepts Bech32m too; age uses plain Bech32.
    if bech32::encode::<Bech32>(hrp, &data).ok().as_deref() != Some(s) {
        return Err(bad("wrong checksum variant"));
    }
    data.try_into().map_err(|_| bad("the key must be 32 bytes"))
}

/// The identity string (`AGE-SECRET-KEY-1…`) of an identity's X25519 key.
pub fn age_identity(id: &Identity) -> Secret<String> {
    let hrp = Hrp::parse(IDENTITY_HRP).expect("\"AGE-SECRET-KEY-\" is a valid bech32 hrp");
    let mut sk = id.x25519_secret().to_bytes();
    let mut out = String::with_capacity(IDENTITY_CAPACITY);
    // age writes identities in upper case; bech32 checksums are case-insensitive.
    let res = bech32::encode_upper_to_fmt::<Bech32, String>(&mut out, hrp, &sk);
    sk.zeroize();
    res.expect("a 32-byte key fits bech32's length limit");
    Secret::new(out)
}

/// Encrypt `plaintext` to `recipient` as a binary age file.
pub fn export(plaintext: &[u8], recipient: &PublicIdentity) -> Result<Vec<u8>, CryptoError> {
    export_to_key(plaintext, &recipient.enc)
}

/// Encrypt `plaintext` to an X25519 public key as a binary age file.
pub fn export_to_key(plaintext: &[u8], recipient_key: &[u8; 32]) -> Result<Vec<u8>, CryptoError> {
    // The age crate panics (blaming the RNG) when the X25519 result is all
    // zero, which a low-order recipient key forces; keys come from the ledger,
    // so refuse such a key here instead. Any clamped scalar sends exactly the
    // low-order points to zero, so one DH with a throwaway key decides it.
    let probe = x25519_dalek::EphemeralSecret::random_from_rng(rand::rngs::OsRng)
        .diffie_hellman(&x25519_dalek::PublicKey::from(*recipient_key));
    if !probe.was_contributory() {
        return Err(CryptoError::Age(
            "recipient X25519 key is a low-order point".into(),
        ));
    }
    let r = age::x25519::Recipient::from_str(&age_recipient_of_key(recipient_key))
        .map_err(|e| CryptoError::Age(format!("recipient key not accepted: {e}")))?;
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
        .map_err(|e| CryptoError::Age(e.to_string()))?;
    // Binary age is ~200 bytes of header plus 16 bytes of tag per 64 KiB chunk.
    let mut out = Vec::with_capacity(plaintext.len() + 256 + 16 * (plaintext.len() / 65536 + 1));
    let mut w = encryptor
        .wrap_output(&mut out)
        .map_err(|e| CryptoError::Age(format!("cannot write header: {e}")))?;
    w.write_all(plaintext)
        .map_err(|e| CryptoError::Age(format!("cannot encrypt payload: {e}")))?;
    w.finish()
        .map_err(|e| CryptoError::Age(format!("cannot finish payload: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::OsRng;
    use std::io::Read;
    use std::process::Command;

    fn age_decrypt(file: &[u8], identity: &str) -> Result<Vec<u8>, String> {
        let id = age::x25519::Identity::from_str(identity).map_err(|e| e.to_string())?;
        let d = age::Decryptor::new(file).map_err(|e| e.to_string())?;
        let mut r = d
            .decrypt(std::iter::once(&id as &dyn age::Identity))
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        r.read_to_end(&mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn strings_have_age_form_and_match_the_age_crate() {
        let id = Identity::generate(&mut OsRng);
        let r = age_recipient(&id.public());
        let s = age_identity(&id);
        assert!(r.starts_with("age1") && r == r.to_lowercase(), "{r}");
        assert_eq!(r.len(), 62);
        assert!(
            s.expose().starts_with("AGE-SECRET-KEY-1") && *s.expose() == s.expose().to_uppercase()
        );
        assert_eq!(s.expose().len(), 74);
        // The age crate parses both, agrees the identity's public key is our
        // recipient, and re-encodes the identity to the same string.
        let parsed = age::x25519::Identity::from_str(s.expose()).unwrap();
        assert_eq!(parsed.to_public().to_string(), r);
        assert_eq!(age::x25519::Recipient::from_str(&r).unwrap().to_string(), r);
        use age::secrecy::ExposeSecret;
        assert_eq!(parsed.to_string().expose_secret(), s.expose().as_str());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn recipients_parse_back_and_bad_ones_are_refused() {
        let id = Identity::generate(&mut OsRng);
        let r = age_recipient(&id.public());
        assert_eq!(parse_recipient(&r).unwrap(), id.public().enc);
        let mut flipped = r.clone();
        let last = flipped.pop().unwrap();
        flipped.push(if last == 'q' { 'p' } else { 'q' });
        for bad in [
            r.to_uppercase(),
            flipped,
            r[..r.len() - 1].to_string(),
            "age1".into(),
            "agx1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq".into(),
        ] {
            assert!(parse_recipient(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn export_decrypts_with_age_crate() {
        let id = Identity::generate(&mut OsRng);
        for pt in [&b""[..], b"score=712", &vec![0xA5u8; 200_000]] {
            let file = export(pt, &id.public()).unwrap();
            assert!(file.starts_with(b"age-encryption.org/v1\n"));
            assert_eq!(age_decrypt(&file, age_identity(&id).expose()).unwrap(), pt);
        }
    }

    #[test]
    fn export_does_not_decrypt_for_another_identity() {
        let id = Identity::generate(&mut OsRng);
        let other = Identity::generate(&mut OsRng);
        let file = export(b"not for you", &id.public()).unwrap();
        let err = age_decrypt(&file, age_identity(&other).expose()).unwrap_err();
        assert!(!err.is_empty());
        // A tampered file is rejected too.
        let mut bad = file.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(age_decrypt(&bad, age_identity(&id).expose()).is_err());
    }

    #[test]
    fn low_order_recipient_is_an_age_error() {
        let id = Identity::generate(&mut OsRng);
        let bad = PublicIdentity {
            sign: id.public().sign,
            enc: [0u8; 32],
        };
        // The age crate itself would panic here; export must return an error.
        assert_eq!(
            export(b"x", &bad).unwrap_err(),
            CryptoError::Age("recipient X25519 key is a low-order point".into())
        );
        // Another low-order point (order 8), as published by a hostile member.
        let mut order8 = [0u8; 32];
        order8.copy_from_slice(
            &hex::decode("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")
                .unwrap(),
        );
        let bad = PublicIdentity {
            sign: id.public().sign,
            enc: order8,
        };
        assert!(matches!(export(b"x", &bad), Err(CryptoError::Age(_))));
    }

    /// Whether the `age` command-line tool can be run. Missing: fail under CI,
    /// otherwise say the interop test was skipped.
    fn age_cli_available(test: &str) -> bool {
        match Command::new("age").arg("--version").output() {
            Ok(o) if o.status.success() => true,
            other => {
                let why = match other {
                    Ok(o) => format!("`age --version` exited with {}", o.status),
                    Err(e) => format!("cannot run `age`: {e}"),
                };
                if std::env::var_os("CI").is_some() {
                    panic!("{test}: the `age` command-line tool is required under CI ({why})");
                }
                println!("{test}: SKIPPED, {why} (install the Debian package `age`)");
                false
            }
        }
    }

    #[cfg(unix)]
    fn write_private(path: &std::path::Path, data: &[u8]) {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .unwrap();
        f.write_all(data).unwrap();
    }

    #[cfg(not(unix))]
    fn write_private(path: &std::path::Path, data: &[u8]) {
        std::fs::write(path, data).unwrap();
    }

    #[test]
    fn age_cli_decrypts_export() {
        if !age_cli_available("age_cli_decrypts_export") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let id = Identity::generate(&mut OsRng);
        let key_path = dir.path().join("key.txt");
        let file_path = dir.path().join("record.age");
        let mut key_file = age_identity(&id).expose().clone().into_bytes();
        key_file.push(b'\n');
        write_private(&key_path, &key_file);
        key_file.zeroize();

        let pt = b"{\"record\":\"tradeline\",\"balance\":1234}\n".repeat(3000);
        std::fs::write(&file_path, export(&pt, &id.public()).unwrap()).unwrap();
        let out = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&key_path)
            .arg(&file_path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "age -d failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, pt);

        // And with another identity the tool refuses.
        let other_path = dir.path().join("other.txt");
        let other = Identity::generate(&mut OsRng);
        write_private(&other_path, age_identity(&other).expose().as_bytes());
        let out = Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&other_path)
            .arg(&file_path)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
    }

    #[test]
    fn age_cli_accepts_our_recipient_string() {
        if !age_cli_available("age_cli_accepts_our_recipient_string") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let id = Identity::generate(&mut OsRng);
        let pt_path = dir.path().join("pt");
        let ct_path = dir.path().join("ct.age");
        std::fs::write(&pt_path, b"from the age tool").unwrap();
        let out = Command::new("age")
            .arg("-r")
            .arg(age_recipient(&id.public()))
            .arg("-o")
            .arg(&ct_path)
            .arg(&pt_path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "age -r failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ct = std::fs::read(&ct_path).unwrap();
        assert_eq!(
            age_decrypt(&ct, age_identity(&id).expose()).unwrap(),
            b"from the age tool"
        );
    }
}
