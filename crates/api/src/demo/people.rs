//! The demo's people, each on their own key in their own keystore under
//! `people/`: bank-a's officer, the agency's analyst and the regulator's
//! auditor (registered as operators of their member's node, so none of them
//! holds the member's key), and borrower-0001. With the folder's
//! `profile.json`, "Open my identity" in the app and the CLI's own-key
//! commands work on each of them as they would for real users.
use crate::error::Result;
use crate::home::{Home, KEYSTORE_FILE};
use crate::member::operators::{self, OperatorRole};
use credence_crypto::keystore::{self, KdfParams};
use credence_crypto::{Identity, Secret};
use rand::rngs::OsRng;
use std::path::Path;

pub const PEOPLE_DIR: &str = "people";

/// Who, at which member, in which role.
pub const STAFF: [(&str, &str, OperatorRole); 3] = [
    ("officer", "bank-a", OperatorRole::Officer),
    ("analyst", "agency", OperatorRole::Analyst),
    ("auditor", "regulator", OperatorRole::Auditor),
];

/// The borrower whose own keystore the demo writes.
pub const BORROWER: &str = "borrower-0001";

fn write_one(
    dir: &Path,
    who: &str,
    id: &Identity,
    passphrase: &Secret<String>,
    kdf: KdfParams,
) -> Result<()> {
    let home = dir.join(PEOPLE_DIR).join(who);
    std::fs::create_dir_all(&home)?;
    keystore::write(
        &home.join(KEYSTORE_FILE),
        passphrase,
        &[(who.to_string(), id.clone())],
        kdf,
    )?;
    Ok(())
}

/// Make each staff member's keystore and register them at their member's
/// node (before the nodes start; a running node would re-read it too).
pub fn staff(dir: &Path, passphrase: &Secret<String>, kdf: KdfParams) -> Result<()> {
    for (who, member, role) in STAFF {
        let id = Identity::generate(&mut OsRng);
        write_one(dir, who, &id, passphrase, kdf)?;
        operators::add(
            &Home::new(dir.join(member)),
            passphrase,
            id.public(),
            who,
            role,
        )?;
    }
    Ok(())
}

/// borrower-0001's own keystore (the demo's borrowers share one file; a
/// real borrower holds only theirs).
pub fn borrower(
    dir: &Path,
    id: &Identity,
    passphrase: &Secret<String>,
    kdf: KdfParams,
) -> Result<()> {
    write_one(dir, BORROWER, id, passphrase, kdf)
}
