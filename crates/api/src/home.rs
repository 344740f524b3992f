//! A member's or borrower's home folder: the encrypted keystore and, for a
//! member, its ledger database. Keys and ledger live in separate files.
use crate::error::{ApiError, ErrorCode, Result};
use credence_crypto::keystore::{self, KdfParams};
use credence_crypto::{Identity, Secret};
use std::path::{Path, PathBuf};

pub const KEYSTORE_FILE: &str = "keystore.json";
pub const LEDGER_FILE: &str = "ledger.db";

/// A named identity, unlocked.
pub struct Actor {
    pub name: String,
    pub identity: Identity,
    /// Earlier keys of the same party, newest first: records sealed before a
    /// rotation open with them.
    pub retired: Vec<Identity>,
    /// A rotation's new key, kept before the rotation was submitted and not
    /// yet known final (see `Home::stage_rotation`).
    pub pending: Option<Identity>,
}

/// Keystore labels of an identity's other key versions.
fn retired_label(name: &str, n: usize) -> String {
    format!("{name}.retired-{n}")
}
fn pending_label(name: &str) -> String {
    format!("{name}.pending")
}

impl std::fmt::Debug for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Actor({}, {:?})", self.name, self.identity.party_id())
    }
}

#[derive(Clone, Debug)]
pub struct Home {
    pub dir: PathBuf,
}

impl Home {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Home { dir: dir.into() }
    }
    pub fn keystore(&self) -> PathBuf {
        self.dir.join(KEYSTORE_FILE)
    }
    pub fn ledger(&self) -> PathBuf {
        self.dir.join(LEDGER_FILE)
    }

    /// Create the folder and a keystore with a fresh identity. Refuses to
    /// overwrite an existing keystore.
    pub fn create(
        &self,
        name: &str,
        passphrase: &Secret<String>,
        params: KdfParams,
    ) -> Result<Actor> {
        check_name(name)?;
        check_new_passphrase(passphrase)?;
        if self.keystore().exists() {
            return Err(ApiError::invalid(format!(
                "{} already holds a keystore; open it instead",
                self.dir.display()
            )));
        }
        std::fs::create_dir_all(&self.dir)?;
        let identity = Identity::generate(&mut rand::rngs::OsRng);
        keystore::write(
            &self.keystore(),
            passphrase,
            &[(name.to_string(), identity.clone())],
            params,
        )?;
        Ok(Actor {
            name: name.to_string(),
            identity,
            retired: Vec::new(),
            pending: None,
        })
    }

    /// Unlock the home's keystore: its first identity, with that identity's
    /// retired keys and a pending rotation's key.
    pub fn unlock(&self, passphrase: &Secret<String>) -> Result<Actor> {
        let mut all = unlock_all(&self.keystore(), passphrase)?;
        let (name, identity) = all.remove(0);
        let party = identity.party_id();
        let mut retired: Vec<(usize, Identity)> = Vec::new();
        let mut pending = None;
        for (label, id) in all {
            if id.party_id() != party {
                continue;
            }
            if label == pending_label(&name) {
                pending = Some(id);
            } else if let Some(n) = label
                .strip_prefix(&format!("{name}.retired-"))
                .and_then(|n| n.parse().ok())
            {
                retired.push((n, id));
            }
        }
        retired.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
        Ok(Actor {
            name,
            identity,
            retired: retired.into_iter().map(|(_, id)| id).collect(),
            pending,
        })
    }

    /// Rewrite the keystore as `actor` holds it (its other identities kept).
    fn save(&self, passphrase: &Secret<String>, actor: &Actor) -> Result<()> {
        let all = unlock_all(&self.keystore(), passphrase)?;
        let mine = |l: &str| {
            l == actor.name
                || l == pending_label(&actor.name)
                || l.starts_with(&format!("{}.retired-", actor.name))
        };
        let n = actor.retired.len();
        let mut out = vec![(actor.name.clone(), actor.identity.clone())];
        out.extend(
            actor
                .pending
                .iter()
                .map(|p| (pending_label(&actor.name), p.clone())),
        );
        out.extend(
            actor
                .retired
                .iter()
                .enumerate()
                .map(|(i, id)| (retired_label(&actor.name, n - i), id.clone())),
        );
        out.extend(all.into_iter().filter(|(l, _)| !mine(l)));
        keystore::write(&self.keystore(), passphrase, &out, KdfParams::default())?;
        Ok(())
    }

    /// Keep a rotation's new key in the keystore before the rotation is
    /// submitted: once the ledger names it, losing it would lock the party
    /// out. Refused while another rotation is pending.
    pub fn stage_rotation(&self, passphrase: &Secret<String>, next: &Identity) -> Result<Actor> {
        let mut a = self.unlock(passphrase)?;
        if a.pending.is_some() {
            return Err(ApiError::new(
                ErrorCode::NotPermitted,
                "a key rotation is already pending in this keystore; open your identity again                  so it is settled first",
            ));
        }
        if next.party_id() != a.identity.party_id() {
            return Err(ApiError::invalid("the new key is for another party"));
        }
        a.pending = Some(next.clone());
        self.save(passphrase, &a)?;
        Ok(a)
    }

    /// The rotation is final: its key becomes the identity, and the key it
    /// replaced is kept as retired.
    pub fn finish_rotation(&self, passphrase: &Secret<String>) -> Result<Actor> {
        let mut a = self.unlock(passphrase)?;
        let Some(next) = a.pending.take() else {
            return Ok(a);
        };
        let old = std::mem::replace(&mut a.identity, next);
        a.retired.insert(0, old);
        self.save(passphrase, &a)?;
        Ok(a)
    }

    /// The rotation was refused: its key named nobody, and is dropped.
    pub fn abandon_rotation(&self, passphrase: &Secret<String>) -> Result<()> {
        let mut a = self.unlock(passphrase)?;
        if a.pending.take().is_some() {
            self.save(passphrase, &a)?;
        }
        Ok(())
    }
}

/// Every identity in a keystore file.
pub fn unlock_all(path: &Path, passphrase: &Secret<String>) -> Result<Vec<(String, Identity)>> {
    if !path.exists() {
        return Err(ApiError::not_found(format!(
            "no keystore at {}",
            path.display()
        )));
    }
    let all = keystore::read(path, passphrase).map_err(|e| match e {
        credence_crypto::CryptoError::WrongPassphrase => ApiError::new(
            ErrorCode::WrongPassphrase,
            "wrong passphrase for this keystore (or the file was altered); nothing was changed",
        ),
        e => e.into(),
    })?;
    if all.is_empty() {
        return Err(ApiError::invalid(format!(
            "the keystore {} holds no identity",
            path.display()
        )));
    }
    // Which keystores a process opened is part of its audit (the desktop
    // app on one person's key opens that one alone); the path only.
    tracing::info!(keystore = %path.display(), identities = all.len(), "keystore unlocked");
    Ok(all)
}

/// The identity labelled `label` in a keystore file, or its first one.
pub fn unlock_labelled(
    path: &Path,
    passphrase: &Secret<String>,
    label: Option<&str>,
) -> Result<Identity> {
    let mut all = unlock_all(path, passphrase)?;
    match label {
        None => Ok(all.swap_remove(0).1),
        Some(l) => all
            .into_iter()
            .find(|(n, _)| n == l)
            .map(|(_, i)| i)
            .ok_or_else(|| {
                ApiError::not_found(format!("no identity labelled {l} in that keystore"))
            }),
    }
}

/// The shortest passphrase a new keystore takes.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// A new keystore's passphrase: at least `MIN_PASSPHRASE_CHARS` characters.
pub fn check_new_passphrase(passphrase: &Secret<String>) -> Result<()> {
    if passphrase.expose().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(ApiError::invalid(format!(
            "choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters"
        )));
    }
    Ok(())
}

pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(ApiError::invalid(
            "a name is 1 to 64 letters, digits, '-' or '_'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_keystore_needs_a_passphrase_of_eight_characters() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("me"));
        let err = home
            .create("me", &Secret::new("short".into()), KdfParams::default())
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert!(err.message.contains("at least 8"), "{}", err.message);
        assert!(!home.keystore().exists(), "nothing was written");
    }
}
