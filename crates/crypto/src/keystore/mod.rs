//! The keystore: a file of named identities, encrypted at rest under a
//! passphrase (Argon2id → ChaCha20-Poly1305), kept apart from the ledger database.
//!
//! File (JSON): `{"format":"credence-keystore","version":1,"kdf":{"alg":"argon2id",
//! "m_cost_kib":..,"t_cost":..,"p_cost":..,"salt":hex16},"nonce":hex12,"ciphertext":hex}`.
//! The ciphertext is a JSON array `[{"label":..,"secret":hex64bytes}]`; its AEAD
//! binds format, version, KDF parameters and salt, so none can be changed
//! (e.g. downgraded to a cheaper KDF) without the file failing to open.
use crate::{CryptoError, Identity, PartyId, Secret};
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
    /// The party a rotated identity acts for (absent: the one its key makes).
    #[serde(default)]
    party: Option<String>,
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
    const ENTRY_OVERHEAD: usize = r#"{"label":,"secret":"","party":""},"#.len() + 128 + 64;
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
        if id.is_rotated() {
            buf.extend_from_slice(br#"","party":""#);
            buf.extend_from_slice(hex::encode(id.party_id().0).as_bytes());
        }
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
    entries
        .into_iter()
        .map(|e| {
            let id = Identity::from_secret_bytes(&e.secret.0);
            let id = match e.party {
                None => id,
                Some(p) => id.for_party(PartyId::from_hex(&p).map_err(|_| {
                    ks(format!(
                        "{}: the party of identity {:?} is not 64 hex digits",
                        path.display(),
                        e.label
                    ))
                })?),
            };
            Ok((e.label, id))
        })
        .collect()
}

#[cfg(test)]
mod tests;
