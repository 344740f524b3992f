//! `credence verify`: a member's ledger file checked from genesis (every
//! block's hash chain, certificate and entry), and whether its write-ahead
//! log was cut short, which would leave the last blocks missing.
use credence_ledger::verify::VerifyReport;
use std::path::Path;

pub use credence_ledger::verify::VerifyFailure;

pub struct VerifiedFile {
    pub report: VerifyReport,
    /// Why the file is incomplete (a torn write-ahead log), if it is.
    pub wal_problem: Option<String>,
}

/// Verify the ledger file at `db`; `progress(height, total)` after each block.
pub fn verify_file(
    db: &Path,
    progress: impl FnMut(u64, u64),
) -> Result<VerifiedFile, VerifyFailure> {
    let report = credence_node::remote::verify_ledger(db, progress)?;
    let wal_problem = report.wal.problem(&credence_ledger::wal::wal_path(db));
    Ok(VerifiedFile {
        report,
        wal_problem,
    })
}
