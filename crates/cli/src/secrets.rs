//! Passphrases and private files: never printed, never defaulted outside the demo.
use crate::args::KeystoreArgs;
use anyhow::{Context, Result};
use credence_api::{home, ApiError, Identity, Secret};
use std::io::IsTerminal;
use std::path::Path;

/// The keystore passphrase: `CREDENCE_PASSPHRASE`, else asked for on the
/// terminal without echo. Never a default: only the demo has one.
pub(crate) fn passphrase() -> Result<Secret<String>> {
    if let Ok(p) = std::env::var("CREDENCE_PASSPHRASE") {
        return Ok(Secret::new(p));
    }
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("keystore passphrase: ")
            .context("reading the passphrase from the terminal")?;
        return Ok(Secret::new(p));
    }
    Err(ApiError::invalid(
        "no passphrase: set CREDENCE_PASSPHRASE, or run the command in a terminal to be asked for it",
    )
    .into())
}

/// The demo's passphrase: `CREDENCE_PASSPHRASE`, else its documented default.
pub(crate) fn demo_passphrase() -> Secret<String> {
    Secret::new(
        std::env::var("CREDENCE_PASSPHRASE").unwrap_or_else(|_| DEMO_PASSPHRASE.to_string()),
    )
}

/// The identity `keys` names, unlocked with the passphrase.
pub(crate) fn unlock(keys: &KeystoreArgs) -> Result<Identity> {
    Ok(home::unlock_labelled(
        &keys.home.join(home::KEYSTORE_FILE),
        &passphrase()?,
        keys.identity.as_deref(),
    )?)
}

pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

/// Documented passphrase for the demo's keystores when CREDENCE_PASSPHRASE is unset.
pub(crate) const DEMO_PASSPHRASE: &str = "credence-demo";
