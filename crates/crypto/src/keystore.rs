//! The keystore: a file of named identities, encrypted at rest under a
//! passphrase (Argon2id → ChaCha20-Poly1305), kept apart from the ledger database.
//!
//! File (JSON): `{"format":"credence-keystore","version":1,"kdf":{"alg":"argon2id",
//! "m_cost_kib":..,"t_cost":..,"p_cost":..,"salt":hex16},"nonce":hex12,"ciphertext":hex}`.
//! The ciphertext is a JSON array `[{"label":..,"secret":hex64bytes}]`; its AEAD
//! binds format, version, KDF parameters and salt, so none can be changed
//! (e.g. downgraded to a cheaper KDF) without the file failing to open.
use crate::{CryptoError, Identity, Secret};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::rngs::OsRng;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::{Zeroize, Zeroizing};

const FORMAT: &str = "credence-keystore";
const VERSION: u32 = 1;
const KDF_ALG: &str = "argon2id";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Bounds on KDF parameters, enforced when reading (the file may come from an
/// attacker: it must not make us allocate or compute without limit) and when
/// writing (so we never produce a file we would refuse to read).
const MIN_M_COST_KIB: u32 = 8;
const MAX_M_COST_KIB: u32 = 1024 * 1024; // 1 GiB
const MIN_T_COST: u32 = 1;
const MAX_T_COST: u32 = 64;
const MIN_P_COST: u32 = 1;
const MAX_P_COST: u32 = 64;

/// An identity takes ~350 bytes of file, so this allows ~190,000 of them (the
/// demo keeps all its borrowers in one keystore); anything larger is not a
/// keystore, and reading it whole would only waste memory.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Argon2id cost. `Default` is the OWASP recommendation (19 MiB, t=2, p=1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams {
            m_cost_kib: 19 * 1024,
            t_cost: 2,
            p_cost: 1,
        }
    }
}

impl KdfParams {
    /// Check the bounds above and Argon2's own rule (memory ≥ 8 KiB per lane).
    fn check(&self) -> Result<Params, String> {
        let KdfParams {
            m_cost_kib: m,
            t_cost: t,
            p_cost: p,
        } = *self;
        if !(MIN_M_COST_KIB..=MAX_M_COST_KIB).contains(&m) {
            return Err(format!(
                "m_cost_kib {m} outside [{MIN_M_COST_KIB}, {MAX_M_COST_KIB}]"
            ));
        }
        if !(MIN_T_COST..=MAX_T_COST).contains(&t) {
            return Err(format!("t_cost {t} outside [{MIN_T_COST}, {MAX_T_COST}]"));
        }
        if !(MIN_P_COST..=MAX_P_COST).contains(&p) {
            return Err(format!("p_cost {p} outside [{MIN_P_COST}, {MAX_P_COST}]"));
        }
        Params::new(m, t, p, Some(32))
            .map_err(|e| format!("rejected by Argon2: {e} (m_cost_kib {m}, p_cost {p})"))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KdfJson {
    alg: String,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    salt: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileJson {
    format: String,
    version: u32,
    kdf: KdfJson,
    nonce: String,
    ciphertext: String,
}

/// One decrypted entry. The secret is decoded straight from the (borrowed)
/// JSON string into a `Secret`, never into an owned `String`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryJson {
    label: String,
    secret: SecretHex,
}

struct SecretHex(Secret<[u8; 64]>);

impl<'de> Deserialize<'de> for SecretHex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SecretHex;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("128 hex digits")
            }
            // Errors name the problem only, never the value (it is key material).
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SecretHex, E> {
                if v.len() != 128 {
                    return Err(E::custom("identity secret is not 128 hex digits"));
                }
                let mut b = [0u8; 64];
                let ok = hex::decode_to_slice(v, &mut b).is_ok();
                let s = Secret::new(b);
                b.zeroize();
                if ok {
                    Ok(SecretHex(s))
                } else {
                    Err(E::custom("identity secret is not hex"))
                }
            }
        }
        d.deserialize_str(V)
    }
}

fn ks(msg: impl Into<String>) -> CryptoError {
    CryptoError::Keystore(msg.into())
}

fn check_passphrase(p: &Secret<String>) -> Result<(), CryptoError> {
    if p.expose().is_empty() {
        Err(ks("passphrase must not be empty"))
    } else {
        Ok(())
    }
}

/// Canonical bytes of everything in the file that is not the ciphertext or
/// nonce: bound as AEAD associated data. Strings are length-prefixed, numbers
/// fixed-width big-endian, the salt fixed-length.
fn header_aad(version: u32, params: &KdfParams, salt: &[u8; SALT_LEN]) -> Vec<u8> {
    let mut a = Vec::with_capacity(64);
    for s in [FORMAT.as_bytes(), KDF_ALG.as_bytes()] {
        a.extend_from_slice(&(s.len() as u32).to_be_bytes());
        a.extend_from_slice(s);
    }
    a.extend_from_slice(&version.to_be_bytes());
    a.extend_from_slice(&params.m_cost_kib.to_be_bytes());
    a.extend_from_slice(&params.t_cost.to_be_bytes());
    a.extend_from_slice(&params.p_cost.to_be_bytes());
    a.extend_from_slice(salt);
    a
}

fn derive_key(
    passphrase: &Secret<String>,
    salt: &[u8; SALT_LEN],
    params: Params,
) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.expose().as_bytes(), salt, key.as_mut())
        .map_err(|e| ks(format!("key derivation failed: {e}")))?;
    Ok(key)
}

/// The plaintext JSON array, built in a buffer allocated once at its final
/// size (so no reallocation leaves copies of key material behind) and wiped on drop.
fn plaintext_json(entries: &[(String, Identity)]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    const ENTRY_OVERHEAD: usize = r#"{"label":,"secret":""},"#.len() + 128;
    let labels: Vec<String> = entries
        .iter()
        .map(|(l, _)| serde_json::to_string(l).map_err(|e| ks(format!("cannot encode label: {e}"))))
        .collect::<Result<_, _>>()?;
    let cap = 2 + labels
        .iter()
        .map(|l| l.len() + ENTRY_OVERHEAD)
        .sum::<usize>();
    let mut buf = Zeroizing::new(Vec::with_capacity(cap));
    buf.push(b'[');
    for (i, ((_, id), label)) in entries.iter().zip(&labels).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(br#"{"label":"#);
        buf.extend_from_slice(label.as_bytes());
        buf.extend_from_slice(br#","secret":""#);
        let mut hex_buf = Zeroizing::new([0u8; 128]);
        hex::encode_to_slice(id.secret_bytes().expose(), hex_buf.as_mut())
            .expect("64 bytes encode to 128 hex digits");
        buf.extend_from_slice(hex_buf.as_ref());
        buf.extend_from_slice(br#""}"#);
    }
    buf.push(b']');
    debug_assert!(buf.len() <= cap, "plaintext buffer reallocated");
    Ok(buf)
}

/// Write `entries` (label, identity) to `path`, atomically, mode 0600.
pub fn write(
    path: &Path,
    passphrase: &Secret<String>,
    entries: &[(String, Identity)],
    params: KdfParams,
) -> Result<(), CryptoError> {
    check_passphrase(passphrase)?;
    let argon_params = params
        .check()
        .map_err(|why| ks(format!("kdf parameters out of range: {why}")))?;
    // Labels name identities; two with one name would make lookups ambiguous.
    let mut seen = std::collections::HashSet::with_capacity(entries.len());
    for (label, _) in entries {
        if !seen.insert(label.as_str()) {
            return Err(ks(format!("duplicate label {label:?}")));
        }
    }

    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut nonce);

    let key = derive_key(passphrase, &salt, argon_params)?;
    let plaintext = plaintext_json(entries)?;
    let aad = header_aad(VERSION, &params, &salt);
    let ciphertext = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| ks("encryption failed"))?;

    let file = FileJson {
        format: FORMAT.into(),
        version: VERSION,
        kdf: KdfJson {
            alg: KDF_ALG.into(),
            m_cost_kib: params.m_cost_kib,
            t_cost: params.t_cost,
            p_cost: params.p_cost,
            salt: hex::encode(salt),
        },
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    };
    let mut bytes =
        serde_json::to_vec_pretty(&file).map_err(|e| ks(format!("cannot encode keystore: {e}")))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Write to a fresh temporary file beside `path` (created 0600, so the content
/// is never readable by others), fsync, rename over `path`, fsync the
/// directory: a crash leaves either the old keystore or the new one.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CryptoError> {
    let fail = |e: std::io::Error| ks(format!("cannot write {}: {e}", path.display()));
    let name = path
        .file_name()
        .ok_or_else(|| ks(format!("cannot write {}: not a file path", path.display())))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{:016x}",
        name.to_string_lossy(),
        std::process::id(),
        OsRng.next_u64()
    ));

    let result = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        // The creation mode is filtered by the umask; set it explicitly too.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(fail(e));
    }
    #[cfg(unix)]
    fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(fail)?;
    Ok(())
}

fn decode_fixed<const N: usize>(path: &Path, what: &str, s: &str) -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|_| {
        ks(format!(
            "{}: malformed keystore: {what} is not {N} bytes of hex",
            path.display()
        ))
    })?;
    Ok(out)
}

/// Read every (label, identity) from `path`. A wrong passphrase or any altered
/// byte gives `CryptoError::WrongPassphrase`.
pub fn read(
    path: &Path,
    passphrase: &Secret<String>,
) -> Result<Vec<(String, Identity)>, CryptoError> {
    check_passphrase(passphrase)?;
    let cannot_read = |e: std::io::Error| ks(format!("cannot read {}: {e}", path.display()));
    let len = fs::metadata(path).map_err(cannot_read)?.len();
    if len > MAX_FILE_BYTES {
        return Err(ks(format!(
            "{} is not a keystore: {len} bytes (a keystore is at most {MAX_FILE_BYTES})",
            path.display()
        )));
    }
    let raw = fs::read(path).map_err(cannot_read)?;

    // Look at format and version first, so that a file of another kind or a
    // newer version is reported as such rather than as a missing field.
    let value: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| {
        ks(format!(
            "{} is not a keystore: invalid JSON ({e})",
            path.display()
        ))
    })?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(ks(format!(
                "{}: unknown format {other:?} (expected {FORMAT:?})",
                path.display()
            )))
        }
        None => {
            return Err(ks(format!(
                "{} is not a keystore: no \"format\" field",
                path.display()
            )))
        }
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => {
            return Err(ks(format!(
                "{}: unsupported keystore version {v} (this build reads version {VERSION})",
                path.display()
            )))
        }
        None => {
            return Err(ks(format!(
                "{}: malformed keystore: no numeric \"version\"",
                path.display()
            )))
        }
    }
    let file: FileJson = serde_json::from_value(value)
        .map_err(|e| ks(format!("{}: malformed keystore: {e}", path.display())))?;
    if file.kdf.alg != KDF_ALG {
        return Err(ks(format!(
            "{}: unsupported kdf {:?} (expected {KDF_ALG:?})",
            path.display(),
            file.kdf.alg
        )));
    }
    let params = KdfParams {
        m_cost_kib: file.kdf.m_cost_kib,
        t_cost: file.kdf.t_cost,
        p_cost: file.kdf.p_cost,
    };
    let argon_params = params
        .check()
        .map_err(|why| ks(format!("{}: kdf parameters refused: {why}", path.display())))?;
    let salt: [u8; SALT_LEN] = decode_fixed(path, "salt", &file.kdf.salt)?;
    let nonce: [u8; NONCE_LEN] = decode_fixed(path, "nonce", &file.nonce)?;
    let ciphertext = hex::decode(&file.ciphertext).map_err(|_| {
        ks(format!(
            "{}: malformed keystore: ciphertext is not hex",
            path.display()
        ))
    })?;
    if ciphertext.len() < TAG_LEN {
        return Err(ks(format!(
            "{}: malformed keystore: ciphertext is truncated",
            path.display()
        )));
    }

    let key = derive_key(passphrase, &salt, argon_params)?;
    let aad = header_aad(file.version, &params, &salt);
    let plaintext = Zeroizing::new(
        ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::WrongPassphrase)?,
    );
    // Authenticated, so only we could have written this; still, report a bad
    // layout by position only, never with serde's message (it may quote values).
    let entries: Vec<EntryJson> = serde_json::from_slice(&plaintext).map_err(|e| {
        ks(format!(
            "{}: decrypted contents are not an identity list (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    Ok(entries
        .into_iter()
        .map(|e| (e.label, Identity::from_secret_bytes(&e.secret.0)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const FAST: KdfParams = KdfParams {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };

    fn pass(s: &str) -> Secret<String> {
        Secret::new(s.to_string())
    }

    fn three() -> Vec<(String, Identity)> {
        ["member", "subject-7", "ünïcode \"quoted\""]
            .iter()
            .map(|l| (l.to_string(), Identity::generate(&mut OsRng)))
            .collect()
    }

    fn assert_same(a: &[(String, Identity)], b: &[(String, Identity)]) {
        assert_eq!(a.len(), b.len());
        for ((la, ia), (lb, ib)) in a.iter().zip(b) {
            assert_eq!(la, lb);
            assert_eq!(ia.public(), ib.public());
            assert_eq!(ia.secret_bytes().expose(), ib.secret_bytes().expose());
        }
    }

    fn edit(path: &Path, f: impl FnOnce(&mut Value)) {
        let mut v: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        f(&mut v);
        fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
    }

    fn keystore_err(r: Result<Vec<(String, Identity)>, CryptoError>) -> String {
        match r {
            Err(CryptoError::Keystore(m)) => m,
            other => panic!(
                "expected a Keystore error, got {:?}",
                other.map(|v| v.len())
            ),
        }
    }

    #[test]
    fn round_trip_three_identities() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let entries = three();
        write(&path, &pass("correct horse"), &entries, FAST).unwrap();
        let back = read(&path, &pass("correct horse")).unwrap();
        assert_same(&entries, &back);
    }

    #[test]
    fn round_trip_with_default_params() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let entries = three();
        write(
            &path,
            &pass("correct horse"),
            &entries,
            KdfParams::default(),
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["kdf"]["m_cost_kib"], 19 * 1024);
        assert_eq!(v["kdf"]["t_cost"], 2);
        assert_same(&entries, &read(&path, &pass("correct horse")).unwrap());
    }

    #[test]
    fn empty_keystore_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        write(&path, &pass("pw"), &[], FAST).unwrap();
        assert!(read(&path, &pass("pw")).unwrap().is_empty());
    }

    #[test]
    fn file_layout_is_as_documented() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        write(&path, &pass("pw"), &three(), FAST).unwrap();
        let v: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["format"], "credence-keystore");
        assert_eq!(v["version"], 1);
        assert_eq!(v["kdf"]["alg"], "argon2id");
        assert_eq!(v["kdf"]["m_cost_kib"], 64);
        assert_eq!(v["kdf"]["t_cost"], 1);
        assert_eq!(v["kdf"]["p_cost"], 1);
        assert_eq!(v["kdf"]["salt"].as_str().unwrap().len(), 32);
        assert_eq!(v["nonce"].as_str().unwrap().len(), 24);
        assert!(hex::decode(v["ciphertext"].as_str().unwrap()).is_ok());
    }

    #[test]
    fn wrong_passphrase_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        write(&path, &pass("right-pass-1"), &three(), FAST).unwrap();
        let err = read(&path, &pass("guess-pass-2")).unwrap_err();
        assert_eq!(err, CryptoError::WrongPassphrase);
        let msg = err.to_string();
        assert!(!msg.contains("pass-1") && !msg.contains("pass-2"), "{msg}");
        // The right passphrase still opens it: the failed attempt changed nothing.
        assert_eq!(read(&path, &pass("right-pass-1")).unwrap().len(), 3);
    }

    #[test]
    fn empty_passphrase_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let expected = CryptoError::Keystore("passphrase must not be empty".into());
        assert_eq!(
            write(&path, &pass(""), &three(), FAST).unwrap_err(),
            expected
        );
        assert!(!path.exists());
        write(&path, &pass("pw"), &three(), FAST).unwrap();
        assert_eq!(read(&path, &pass("")).unwrap_err(), expected);
    }

    #[test]
    fn every_altered_byte_of_ciphertext_nonce_and_salt_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let entries: Vec<_> = three().into_iter().take(1).collect();
        write(&path, &pass("pw"), &entries, FAST).unwrap();
        let original = fs::read(&path).unwrap();
        let v: Value = serde_json::from_slice(&original).unwrap();

        type Field = fn(&mut Value) -> &mut Value;
        let fields: [(&str, Field); 3] = [
            ("ciphertext", |v| &mut v["ciphertext"]),
            ("nonce", |v| &mut v["nonce"]),
            ("salt", |v| &mut v["kdf"]["salt"]),
        ];
        for (name, field) in fields {
            let bytes = hex::decode(field(&mut v.clone()).as_str().unwrap()).unwrap();
            for i in 0..bytes.len() {
                let mut altered = bytes.clone();
                altered[i] ^= 0x01;
                let mut w = v.clone();
                *field(&mut w) = Value::String(hex::encode(&altered));
                fs::write(&path, serde_json::to_vec(&w).unwrap()).unwrap();
                assert_eq!(
                    read(&path, &pass("pw")).unwrap_err(),
                    CryptoError::WrongPassphrase,
                    "{name} byte {i} altered"
                );
            }
        }
        fs::write(&path, &original).unwrap();
        assert_same(&entries, &read(&path, &pass("pw")).unwrap());
    }

    #[test]
    fn altered_kdf_params_are_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        write(&path, &pass("pw"), &three(), FAST).unwrap();
        let original = fs::read(&path).unwrap();
        // Within the accepted range: the AAD no longer matches.
        for (field, value) in [
            ("m_cost_kib", 65),
            ("m_cost_kib", 32),
            ("t_cost", 2),
            ("p_cost", 2),
        ] {
            fs::write(&path, &original).unwrap();
            edit(&path, |v| v["kdf"][field] = value.into());
            assert_eq!(
                read(&path, &pass("pw")).unwrap_err(),
                CryptoError::WrongPassphrase,
                "{field}={value}"
            );
        }
        // Below the floor: refused before any key derivation.
        fs::write(&path, &original).unwrap();
        edit(&path, |v| v["kdf"]["m_cost_kib"] = 4.into());
        assert!(keystore_err(read(&path, &pass("pw"))).contains("m_cost_kib 4"));
        fs::write(&path, &original).unwrap();
        edit(&path, |v| v["kdf"]["t_cost"] = 0.into());
        assert!(keystore_err(read(&path, &pass("pw"))).contains("t_cost 0"));
        fs::write(&path, &original).unwrap();
        edit(&path, |v| v["version"] = 2.into());
        assert!(keystore_err(read(&path, &pass("pw"))).contains("unsupported keystore version 2"));
    }

    #[test]
    fn hostile_kdf_params_are_refused_without_running_the_kdf() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        write(&path, &pass("pw"), &three(), FAST).unwrap();
        let original = fs::read(&path).unwrap();
        // 4 TiB of memory, or an hour of hashing, must fail at once.
        for (field, value) in [
            ("m_cost_kib", u64::from(u32::MAX)),
            ("m_cost_kib", u64::from(MAX_M_COST_KIB) + 1),
            ("t_cost", u64::from(u32::MAX)),
            ("p_cost", 1_000_000),
        ] {
            fs::write(&path, &original).unwrap();
            edit(&path, |v| v["kdf"][field] = value.into());
            let t = std::time::Instant::now();
            let msg = keystore_err(read(&path, &pass("pw")));
            assert!(
                msg.contains("kdf parameters refused") && msg.contains(field),
                "{msg}"
            );
            assert!(t.elapsed() < std::time::Duration::from_secs(1));
        }
        // Writing refuses the same values, so we never produce an unreadable file.
        let too_big = KdfParams {
            m_cost_kib: MAX_M_COST_KIB + 1,
            ..FAST
        };
        assert!(matches!(
            write(&path, &pass("pw"), &three(), too_big),
            Err(CryptoError::Keystore(_))
        ));
        let too_small = KdfParams {
            m_cost_kib: 7,
            ..FAST
        };
        assert!(matches!(
            write(&path, &pass("pw"), &three(), too_small),
            Err(CryptoError::Keystore(_))
        ));
    }

    #[test]
    fn unreadable_and_foreign_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let msg = keystore_err(read(&path, &pass("pw")));
        assert!(
            msg.starts_with(&format!("cannot read {}: ", path.display())),
            "{msg}"
        );

        // An oversized file is refused from its length alone (sparse: no disk used).
        fs::File::create(&path)
            .unwrap()
            .set_len(MAX_FILE_BYTES + 1)
            .unwrap();
        assert!(keystore_err(read(&path, &pass("pw"))).contains("is not a keystore"));

        fs::write(&path, b"not json").unwrap();
        assert!(keystore_err(read(&path, &pass("pw"))).contains("invalid JSON"));
        fs::write(&path, br#"{"format":"something-else","version":1}"#).unwrap();
        assert!(
            keystore_err(read(&path, &pass("pw"))).contains("unknown format \"something-else\"")
        );
        fs::write(&path, br#"{"hello":"world"}"#).unwrap();
        assert!(keystore_err(read(&path, &pass("pw"))).contains("no \"format\" field"));

        write(&path, &pass("pw"), &three(), FAST).unwrap();
        let original = fs::read(&path).unwrap();
        edit(&path, |v| v["kdf"]["alg"] = "scrypt".into());
        assert!(keystore_err(read(&path, &pass("pw"))).contains("unsupported kdf \"scrypt\""));
        fs::write(&path, &original).unwrap();
        edit(&path, |v| v["kdf"]["salt"] = "abcd".into());
        assert!(keystore_err(read(&path, &pass("pw"))).contains("salt is not 16 bytes"));
        fs::write(&path, &original).unwrap();
        edit(&path, |v| {
            v.as_object_mut().unwrap().remove("nonce");
        });
        assert!(keystore_err(read(&path, &pass("pw"))).contains("nonce"));
    }

    #[test]
    fn duplicate_labels_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let mut entries = three();
        entries[2].0 = entries[0].0.clone();
        let msg = match write(&path, &pass("pw"), &entries, FAST) {
            Err(CryptoError::Keystore(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(msg.contains("duplicate label \"member\""), "{msg}");
    }

    #[cfg(unix)]
    #[test]
    fn file_mode_is_0600_and_write_is_atomic() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        // An existing world-readable file is replaced, not rewritten in place.
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let entries = three();
        write(&path, &pass("pw"), &entries, FAST).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_same(&entries, &read(&path, &pass("pw")).unwrap());
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("keys.json")]);
        // A path in a missing directory fails with the path named.
        let bad = dir.path().join("missing").join("keys.json");
        match write(&bad, &pass("pw"), &entries, FAST) {
            Err(CryptoError::Keystore(m)) => assert!(
                m.starts_with(&format!("cannot write {}", bad.display())),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn file_contains_no_secret_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        let entries = three();
        write(&path, &pass("hunter2-passphrase"), &entries, FAST).unwrap();
        let file = fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&file).to_lowercase();
        assert!(!text.contains("hunter2"));
        for (_, id) in &entries {
            let sb = id.secret_bytes();
            for part in [&sb.expose()[..32], &sb.expose()[32..]] {
                assert!(
                    !text.contains(&hex::encode(part)),
                    "secret hex found in file"
                );
                assert!(
                    !file.windows(part.len()).any(|w| w == part),
                    "raw secret found in file"
                );
                // Not even an 8-byte window of either key, in hex or raw.
                for w in part.windows(8) {
                    assert!(!text.contains(&hex::encode(w)));
                    assert!(!file.windows(8).any(|f| f == w));
                }
            }
        }
    }
}
