//! What the load tools (`credence bench …`) share: the demo's bank and its
//! consenting borrower, member node processes found through `/proc`, and
//! percentiles.
use crate::borrower::BorrowerSession;
use crate::error::Result;
use crate::profile::Profile;
use crate::session::MemberSession;
use credence_crypto::{Identity, Secret};
use credence_ledger::types::{AllowedPredicates, Purpose};
use std::path::Path;

/// The `p` percentile (0..=1) of ascending `sorted`; 0 when empty.
pub(crate) fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The demo's bank-a, and borrower-0001 with a consent to it for any
/// question (granted again for 30 days).
pub(crate) fn bank_and_borrower(
    dir: &Path,
    passphrase: &Secret<String>,
) -> Result<(Profile, MemberSession, Identity)> {
    let profile = Profile::read(&dir.join(crate::profile::PROFILE_FILE))?;
    let bank = MemberSession::open(&dir.join("bank-a"), passphrase)?;
    let me = crate::home::unlock_labelled(
        &dir.join("borrowers").join("keystore.json"),
        passphrase,
        Some("borrower-0001"),
    )?;
    let borrower = BorrowerSession::open(me.clone(), profile.clone(), Some("bank-a"))?;
    borrower.grant("bank-a", Purpose::AccountReview, AllowedPredicates::Any, 30)?;
    Ok((profile, bank, me))
}

/// The `credence node run` process serving `home`: its id and command line.
pub(crate) fn node_process(home: &Path) -> Option<(u32, Vec<String>)> {
    let needle = format!("run\0--home\0{}\0", home.display());
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid = e.file_name().to_string_lossy().parse::<u32>().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let text = String::from_utf8_lossy(&cmd);
        text.contains(&needle).then(|| {
            (
                pid,
                text.split('\0')
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect(),
            )
        })
    })
}
