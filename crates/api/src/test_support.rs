//! For the crate's unit tests: a small local demo consortium in a folder of
//! its own, removed when the test ends.
use crate::demo::{self, DemoOptions};
use credence_crypto::keystore::KdfParams;
use credence_crypto::Secret;

pub(crate) struct TempDir(pub(crate) std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn temp_dir(tag: &str) -> TempDir {
    TempDir(std::env::temp_dir().join(format!(
        "credence-{tag}-{}-{}",
        std::process::id(),
        hex::encode(&crate::actions::new_id()[..4])
    )))
}

/// Eight borrowers, every member in this process (the local sequencer).
pub(crate) fn small_demo(tag: &str) -> (TempDir, demo::DemoConsortium) {
    let dir = temp_dir(tag);
    let opts = DemoOptions {
        dir: dir.0.join("demo"),
        subjects: Some(8),
        csv: None,
        passphrase: Secret::new("credence-demo".to_string()),
        kdf: KdfParams::default(),
        verify_files: false,
        mode: demo::DemoMode::Local,
    };
    let (_, c) = demo::run_and_keep(&opts, &mut |_| {}).expect("demo runs");
    (dir, c)
}
