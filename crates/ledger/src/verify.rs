//! Re-check a ledger file from genesis: every hash, signature and proof, then
//! that the file's derived state is exactly what replaying its blocks gives.
use crate::encode::{block_hash, check_certificate, from_bytes};
use crate::rules::member;
use crate::schema::STATE_TABLES;
use crate::store::{Head, Ledger};
use crate::types::{Block, Certificate, Entry};
use crate::LedgerError;
use credence_crypto::PartyId;
use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    pub blocks: u64,
    pub entries: u64,
    pub head: Option<Head>,
    /// The file's write-ahead log: a torn or missing one means the chain
    /// verified is shorter than the one the member wrote.
    pub wal: crate::wal::WalState,
}

/// The first problem found, with where it is.
#[derive(Debug, thiserror::Error)]
pub enum VerifyFailure {
    #[error("cannot read the ledger: {0}")]
    Unreadable(#[from] LedgerError),
    #[error("block {height}: {why}")]
    Block { height: u64, why: String },
    #[error("block {height}, entry {index} ({kind}): {why}")]
    Entry {
        height: u64,
        index: usize,
        kind: String,
        why: String,
    },
    #[error("stored state table `{table}` differs from the replayed ledger: {why}")]
    State { table: &'static str, why: String },
}

impl VerifyFailure {
    /// The height of the first bad block, where there is one.
    pub fn height(&self) -> Option<u64> {
        match self {
            VerifyFailure::Block { height, .. } | VerifyFailure::Entry { height, .. } => {
                Some(*height)
            }
            _ => None,
        }
    }
}

/// Checks consensus certificates (the ledger crate knows no consensus engine):
/// given the block, its certificate and the previous block's certificate, and
/// the members in force in the block's epoch with the keys they held then.
pub type ConsensusCheck<'a> = &'a dyn Fn(
    &Block,
    &Certificate,
    Option<&Certificate>,
    &[(PartyId, credence_crypto::PublicIdentity)],
) -> Result<(), String>;

/// Verify the ledger at `path`; `progress` is called with (height, total blocks).
/// Ledgers written by consensus need `verify_file_with` and a consensus check.
pub fn verify_file(
    path: &Path,
    progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, VerifyFailure> {
    verify_file_with(path, None, progress)
}

/// Verify the ledger file at `path` without changing or creating anything
/// beside it (it is checked through a private copy), and say whether its
/// write-ahead log is whole.
pub fn verify_file_with(
    path: &Path,
    consensus: Option<ConsensusCheck<'_>>,
    progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, VerifyFailure> {
    let wal = crate::wal::inspect(path).map_err(|e| LedgerError::Io(e.to_string()))?;
    let file = Ledger::open_snapshot(path)?;
    let mut report = verify_open(&file, consensus, progress)?;
    report.wal = wal;
    Ok(report)
}

/// Verify an open ledger (as `verify_file_with`, without the WAL check).
pub fn verify_open(
    file: &Ledger,
    consensus: Option<ConsensusCheck<'_>>,
    mut progress: impl FnMut(u64, u64),
) -> Result<VerifyReport, VerifyFailure> {
    let mut replay = Ledger::replaying()?;
    let total: i64 = file
        .conn()
        .query_row("SELECT COUNT(*) FROM blocks", [], |r| r.get(0))
        .map_err(LedgerError::from)?;
    let mut st = file
        .conn()
        .prepare("SELECT height, hash, parent, timestamp, proposer, body, certificate FROM blocks ORDER BY height")
        .map_err(LedgerError::from)?;
    let mut rows = st.query([]).map_err(LedgerError::from)?;
    let mut expected = 0u64;
    let mut entries = 0u64;
    let mut prev_cert: Option<Certificate> = None;
    while let Some(r) = rows.next().map_err(LedgerError::from)? {
        let height = r.get::<_, i64>(0).map_err(LedgerError::from)? as u64;
        let bad = |why: String| VerifyFailure::Block { height, why };
        if height != expected {
            return Err(VerifyFailure::Block {
                height: expected,
                why: format!("missing: the next stored block is {height}"),
            });
        }
        let hash: Vec<u8> = r.get(1).map_err(LedgerError::from)?;
        let parent: Vec<u8> = r.get(2).map_err(LedgerError::from)?;
        let timestamp: i64 = r.get(3).map_err(LedgerError::from)?;
        let proposer: Vec<u8> = r.get(4).map_err(LedgerError::from)?;
        let body: Vec<u8> = r.get(5).map_err(LedgerError::from)?;
        let cert: Vec<u8> = r.get(6).map_err(LedgerError::from)?;
        let block: Block = from_bytes("block", &body).map_err(|e| bad(e.to_string()))?;
        let cert: Certificate = from_bytes("certificate", &cert).map_err(|e| bad(e.to_string()))?;
        if block.header.height != height {
            return Err(bad(format!(
                "the stored body says height {}",
                block.header.height
            )));
        }
        let h = block_hash(&block);
        if h[..] != hash[..] {
            return Err(bad("the body does not hash to the stored block hash".into()));
        }
        if block.header.parent[..] != parent[..]
            || block.header.timestamp as i64 != timestamp
            || block.header.proposer.0[..] != proposer[..]
        {
            return Err(bad(
                "stored header columns disagree with the block body".into()
            ));
        }
        match &cert {
            Certificate::Sequencer { signer: who, .. } => {
                // The proposer certifies: a member before this block (at genesis, a founding member).
                let signer = if height == 0 {
                    match block.entries.first().map(|e| &e.entry) {
                        Some(Entry::Genesis(g)) => g
                            .members
                            .iter()
                            .find(|m| m.key.party_id() == block.header.proposer)
                            .map(|m| m.key),
                        _ => None,
                    }
                } else {
                    member(replay.conn(), &block.header.proposer)
                        .map_err(LedgerError::from)?
                        .map(|m| m.key)
                };
                let Some(signer) = signer else {
                    return Err(bad("the proposer is not a member".into()));
                };
                if *who != block.header.proposer {
                    return Err(bad("the certificate is not the proposer's".into()));
                }
                check_certificate(&h, &cert, &signer).map_err(|e| bad(e.to_string()))?;
            }
            Certificate::Genesis => {
                if height != 0 {
                    return Err(bad(
                        "only block 0 may be a genesis without a certificate".into()
                    ));
                }
            }
            Certificate::Consensus { .. } => {
                let Some(check) = consensus else {
                    return Err(bad("written by consensus: verify it with the credence binary's consensus check".into()));
                };
                // The block is certified by the members in force in its epoch.
                let (_, epoch_length, _) = crate::read::chain(&replay)?
                    .ok_or_else(|| bad("no genesis before this block".into()))?;
                let keys: Vec<_> = crate::read::members_at_epoch(&replay, height / epoch_length)?
                    .into_iter()
                    .map(|m| (m.member.party, m.member.key))
                    .collect();
                check(&block, &cert, prev_cert.as_ref(), &keys)
                    .map_err(|e| bad(format!("consensus certificate: {e}")))?;
            }
        }
        match replay.apply_block(&block, &cert) {
            Ok(_) => {}
            Err(LedgerError::InvalidEntry {
                height,
                index,
                kind,
                rejection,
            }) => {
                return Err(VerifyFailure::Entry {
                    height,
                    index,
                    kind: kind.into(),
                    why: rejection.to_string(),
                })
            }
            Err(e) => return Err(bad(e.to_string())),
        }
        entries += block.entries.len() as u64;
        prev_cert = Some(cert);
        progress(height, total as u64);
        expected += 1;
    }
    // An erased payload is only ever left by the chain's own erasure of
    // that record; anything else is a payload removed behind the chain's back.
    let stray: Option<(i64, i64)> = replay
        .conn()
        .query_row(
            // Content may be missing where the chain erased the record, or
            // where a later re-seal of it superseded it.
            "SELECT p.height, p.idx FROM temp.erased_payloads p
             WHERE p.record_id NOT IN (SELECT record_id FROM erasures)
               AND NOT EXISTS (
                 SELECT 1 FROM reseals s JOIN entries e ON e.entry_id = s.entry_id
                 WHERE s.record_id = p.record_id
                   AND (e.height > p.height OR (e.height = p.height AND e.idx > p.idx)))
             ORDER BY p.height, p.idx LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(LedgerError::from)?;
    if let Some((height, index)) = stray {
        return Err(VerifyFailure::Entry {
            height: height as u64,
            index: index as usize,
            kind: "record-furnished".into(),
            why: "its sealed content is missing but the chain never erased the record nor re-sealed it since".into(),
        });
    }
    for (table, key) in STATE_TABLES {
        compare_table(file, &replay, table, key)?;
    }
    Ok(VerifyReport {
        blocks: expected,
        entries,
        head: replay.head()?,
        wal: crate::wal::WalState::Absent,
    })
}

fn compare_table(
    file: &Ledger,
    replay: &Ledger,
    table: &'static str,
    key: &str,
) -> Result<(), VerifyFailure> {
    let dump = |l: &Ledger| -> Result<Vec<Vec<Value>>, LedgerError> {
        let mut st = l
            .conn()
            .prepare(&format!("SELECT * FROM {table} ORDER BY {key}"))?;
        let n = st.column_count();
        let rows = st.query_map([], |r| {
            (0..n)
                .map(|i| r.get::<_, Value>(i))
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let a = dump(file)?;
    let b = dump(replay)?;
    if a.len() != b.len() {
        return Err(VerifyFailure::State {
            table,
            why: format!("{} rows stored, {} replayed", a.len(), b.len()),
        });
    }
    if let Some(i) = a.iter().zip(&b).position(|(x, y)| x != y) {
        return Err(VerifyFailure::State {
            table,
            why: format!("row {} (ordered by {key}) differs", i + 1),
        });
    }
    Ok(())
}
