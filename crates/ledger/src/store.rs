//! The member's SQLite copy of the ledger: blocks plus the state derived from
//! them, one transaction per block, idempotent on height.
use crate::encode::{block_hash, entries_root, entry_id, erased_entry, from_bytes, to_bytes};
use crate::error::{LedgerError, RejectCode, Rejection};
use crate::rules::{validate_and_apply, BlockCtx, Deferred, RuleError};
use crate::schema;
use crate::types::{Block, Certificate, Entry, Id, SignedEntry};
use rayon::prelude::*;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

/// The chain's tip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub height: u64,
    pub hash: [u8; 32],
    pub timestamp: u64,
}

/// What `apply_block` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The block was validated and stored.
    Stored,
    /// The same block was already stored at that height (a re-delivery).
    AlreadyHad,
}

pub struct Ledger {
    conn: Connection,
    path: Option<PathBuf>,
    /// Re-applying a stored chain (`verify`, or blocks synced from another
    /// member): entries of erased records come with their sealed content
    /// erased, which a new block may never carry.
    replaying: bool,
    /// A private copy this ledger was opened from (`open_snapshot`), removed
    /// when the ledger is dropped. Declared last: dropped after `conn`.
    _snapshot: Option<SnapshotDir>,
}

/// A folder of our own under the temporary directory, removed on drop.
struct SnapshotDir(PathBuf);

impl Drop for SnapshotDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ledger({:?})", self.path)
    }
}

/// Refuse a file written by a newer Credence (its schema is unknown here).
fn check_schema_version(conn: &Connection) -> Result<(), LedgerError> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if v > schema::current_version() {
        return Err(LedgerError::SchemaTooNew {
            found: v,
            supported: schema::current_version(),
        });
    }
    Ok(())
}

impl Ledger {
    /// Open (creating if needed) a ledger file, in WAL mode, migrated.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        schema::migrate(&mut conn)?;
        Ok(Ledger {
            conn,
            path: Some(path.to_path_buf()),
            replaying: false,
            _snapshot: None,
        })
    }

    /// SQLite's full integrity check (every page, index and constraint).
    pub fn integrity_check(&self) -> Result<(), LedgerError> {
        let mut st = self.conn.prepare("PRAGMA integrity_check(20)")?;
        let lines: Vec<String> = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<_, _>>()?;
        if lines.len() == 1 && lines[0] == "ok" {
            Ok(())
        } else {
            Err(LedgerError::Corrupt(lines.join("; ")))
        }
    }

    /// Open a ledger file without touching it: the file and its write-ahead
    /// log are copied to a private folder and the copy is opened, so nothing
    /// is created or changed beside the original (SQLite would create `-shm`
    /// and `-wal` files even for a read-only open). For `verify`.
    pub fn open_snapshot(path: &Path) -> Result<Self, LedgerError> {
        if !path.is_file() {
            return Err(LedgerError::NotFound(format!(
                "ledger file {}",
                path.display()
            )));
        }
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "credence-snapshot-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let io = |e: std::io::Error| LedgerError::Io(format!("copying {}: {e}", path.display()));
        std::fs::create_dir_all(&dir).map_err(io)?;
        let guard = SnapshotDir(dir.clone());
        let copy = dir.join("ledger.db");
        std::fs::copy(path, &copy).map_err(io)?;
        let wal = crate::wal::wal_path(path);
        if wal.exists() {
            std::fs::copy(&wal, crate::wal::wal_path(&copy)).map_err(io)?;
        }
        let conn = Connection::open_with_flags(
            &copy,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        check_schema_version(&conn)?;
        let has_blocks: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blocks')",
            [],
            |r| r.get(0),
        )?;
        if !has_blocks {
            return Err(LedgerError::NotALedger(format!(
                "{} holds no ledger (no blocks table){}",
                path.display(),
                if wal.exists() {
                    String::new()
                } else {
                    format!(
                        "; if it was in use, its write-ahead log {} is missing",
                        wal.display()
                    )
                }
            )));
        }
        Ok(Ledger {
            conn,
            path: Some(path.to_path_buf()),
            replaying: false,
            _snapshot: Some(guard),
        })
    }

    /// Open an existing ledger file read-only (for `verify` and readers).
    pub fn open_read_only(path: &Path) -> Result<Self, LedgerError> {
        if !path.exists() {
            return Err(LedgerError::NotFound(format!(
                "ledger file {}",
                path.display()
            )));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        check_schema_version(&conn)?;
        Ok(Ledger {
            conn,
            path: Some(path.to_path_buf()),
            replaying: false,
            _snapshot: None,
        })
    }

    /// A fresh ledger in memory (used by `verify` to replay from scratch).
    pub fn in_memory() -> Result<Self, LedgerError> {
        let mut conn = Connection::open_in_memory()?;
        schema::migrate(&mut conn)?;
        Ok(Ledger {
            conn,
            path: None,
            replaying: false,
            _snapshot: None,
        })
    }

    /// An empty in-memory ledger that re-applies a stored chain, where the
    /// entries of erased records carry only their payload's digest.
    pub(crate) fn replaying() -> Result<Self, LedgerError> {
        let l = Ledger {
            replaying: true,
            ..Ledger::in_memory()?
        };
        // Where the chain carried an erased payload: `verify` checks each
        // belongs to a record the chain erased.
        l.conn.execute_batch(
            "CREATE TEMP TABLE erased_payloads (record_id BLOB PRIMARY KEY, height INTEGER NOT NULL, idx INTEGER NOT NULL)",
        )?;
        Ok(l)
    }

    /// Move everything from the write-ahead log into the database file (on a
    /// clean shutdown, so the file alone is the whole ledger).
    pub fn checkpoint(&self) -> Result<(), LedgerError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How many write-ahead-log pages trigger a checkpoint (SQLite's
    /// default is 1,000; 0 never checkpoints, as a bulk load or a test that
    /// needs the blocks left in the WAL may want).
    pub fn set_checkpoint_pages(&self, pages: u32) -> Result<(), LedgerError> {
        Ok(self.conn.pragma_update(None, "wal_autocheckpoint", pages)?)
    }

    /// Read access for the query functions in `rules` and `read`; only this
    /// crate reaches the connection (`apply_block` is its one writer).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The last block. Read every few milliseconds by those who wait for a
    /// block (the agency's responder, the client API's waits), so the
    /// statement is prepared once per connection, not parsed on every read.
    pub fn head(&self) -> Result<Option<Head>, LedgerError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT height, hash, timestamp FROM blocks ORDER BY height DESC LIMIT 1",
            )?
            .query_row([], |r| {
                let hash: Vec<u8> = r.get(1)?;
                let mut h = [0u8; 32];
                h.copy_from_slice(&hash);
                Ok(Head {
                    height: r.get::<_, i64>(0)? as u64,
                    hash: h,
                    timestamp: r.get::<_, i64>(2)? as u64,
                })
            })
            .optional()?)
    }

    /// The stored block and certificate at `height`, decoded.
    pub fn block(&self, height: u64) -> Result<Option<(Block, Certificate)>, LedgerError> {
        let row: Option<(Vec<u8>, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT body, certificate FROM blocks WHERE height = ?1",
                [height as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            None => Ok(None),
            Some((b, c)) => Ok(Some((
                from_bytes("block", &b)?,
                from_bytes("certificate", &c)?,
            ))),
        }
    }

    /// Store a block fetched from another member's ledger (a member catching
    /// up past what its peers' consensus stores keep): `apply_block`, except
    /// that an entry may carry its payload erased, as a later erasure or
    /// re-seal left it at that member. The erased form commits to the same
    /// digest, so the block checks the same; `credence verify` replays the
    /// file and fails if a payload is missing that the chain never erased.
    pub fn apply_synced_block(
        &mut self,
        block: &Block,
        cert: &Certificate,
    ) -> Result<Applied, LedgerError> {
        self.conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS erased_payloads (record_id BLOB PRIMARY KEY, height INTEGER NOT NULL, idx INTEGER NOT NULL)",
        )?;
        let was = std::mem::replace(&mut self.replaying, true);
        let r = self.apply_block(block, cert);
        self.replaying = was;
        r
    }

    /// Store a finalized block with its certificate, in one transaction.
    ///
    /// Order, then execute: the block's order is final, so its entries are
    /// applied in order and an entry the rules refuse is recorded in
    /// `rejected_entries` and has no effect — every member refuses the same
    /// entries from the same state, so members never diverge, whatever a
    /// faulty proposer put in a block. Re-applying the stored block is a
    /// no-op; a different block at a stored height is a `Conflict`. What is
    /// refused is returned (index, reason).
    ///
    /// The certificate is checked by the caller (it knows who may certify).
    pub fn apply_block(
        &mut self,
        block: &Block,
        cert: &Certificate,
    ) -> Result<Applied, LedgerError> {
        let height = block.header.height;
        let hash = block_hash(block);
        let stored: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT hash FROM blocks WHERE height = ?1",
                [height as i64],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(h) = stored {
            return if h == hash {
                Ok(Applied::AlreadyHad)
            } else {
                Err(LedgerError::Conflict { height })
            };
        }
        let head = self.head()?;
        let bad = |why: String| LedgerError::InvalidBlock { height, why };
        match head {
            None if height != 0 => {
                return Err(bad(
                    "the ledger is empty, so the next block is height 0".into()
                ))
            }
            None if block.header.parent != [0u8; 32] => {
                return Err(bad("block 0 has an all-zero parent".into()))
            }
            Some(h) if height != h.height + 1 => {
                return Err(bad(format!(
                    "expected height {}, the block after the head",
                    h.height + 1
                )))
            }
            Some(h) if block.header.parent != h.hash => {
                return Err(bad("parent hash is not the head's hash".into()))
            }
            Some(h) if block.header.timestamp < h.timestamp => {
                return Err(bad("timestamp is before the parent's".into()))
            }
            _ => {}
        }
        if entries_root(&block.entries) != block.header.entries_root {
            return Err(bad("entries do not match the header's entries root".into()));
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if height > 0 {
            set_epoch(&tx, height)?;
            if crate::rules::member(&tx, &block.header.proposer)?.is_none() {
                return Err(bad("the proposer is not a member".into()));
            }
        }
        let verdicts = settle(
            &tx,
            height,
            block.header.timestamp,
            &block.entries,
            self.replaying,
        )?;
        if height == 0 && verdicts.iter().any(|v| v.is_err()) {
            // Without a valid genesis there are no members to agree on anything.
            let (index, rejection) = verdicts
                .into_iter()
                .enumerate()
                .find_map(|(i, v)| v.err().map(|r| (i, r)))
                .unwrap();
            return Err(LedgerError::InvalidEntry {
                height,
                index,
                kind: block.entries[index].entry.kind(),
                rejection,
            });
        }
        for (index, v) in verdicts.iter().enumerate() {
            if let Err(r) = v {
                let se = &block.entries[index];
                tracing::info!(height, index, kind = se.entry.kind(), code = %r.code, "entry refused by the rules");
                tx.execute(
                    "INSERT INTO rejected_entries (height, idx, entry_id, kind, code, message) VALUES (?1,?2,?3,?4,?5,?6)",
                    params![
                        height as i64,
                        index as i64,
                        &entry_id(&se.entry)[..],
                        se.entry.kind(),
                        r.code.as_str(),
                        r.message
                    ],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO blocks (height, hash, parent, timestamp, proposer, body, certificate) VALUES (?1,?2,?3,?4,?5,?6,?7)",
            params![
                height as i64,
                &hash[..],
                &block.header.parent[..],
                block.header.timestamp as i64,
                &block.header.proposer.0[..],
                to_bytes(block),
                to_bytes(cert)
            ],
        )?;
        for (se, v) in block.entries.iter().zip(&verdicts) {
            match (&se.entry, v) {
                (Entry::RecordErased { record_id, .. }, Ok(())) => {
                    erase_stored_payload(&tx, record_id, None)?;
                }
                // A re-seal supersedes the record's earlier ciphertexts, which
                // a leaked key may open: only the new one is kept.
                (Entry::RecordResealed { record_id, .. }, Ok(())) => {
                    erase_stored_payload(&tx, record_id, Some(&entry_id(&se.entry)))?;
                }
                _ => {}
            }
        }
        tx.commit()?;
        tracing::debug!(height, entries = block.entries.len(), "block stored");
        Ok(Applied::Stored)
    }

    /// Check candidate entries as if they were the next block at `timestamp`,
    /// without storing anything: the proposer's filter. Returns one verdict per
    /// candidate, judged exactly as `apply_block` would.
    pub fn check_candidates(
        &mut self,
        timestamp: u64,
        candidates: &[SignedEntry],
    ) -> Result<Vec<Result<(), Rejection>>, LedgerError> {
        // Read the head inside the write transaction: another connection may
        // have stored a block since (the node's applier), and the trial must be
        // judged as the block after the real head.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let height: u64 =
            tx.query_row("SELECT COALESCE(MAX(height) + 1, 0) FROM blocks", [], |r| {
                r.get::<_, i64>(0)
            })? as u64;
        set_epoch(&tx, height)?;
        let verdicts = settle(&tx, height, timestamp, candidates, false)?;
        drop(tx); // rolls back: nothing is stored
        Ok(verdicts)
    }

    /// The refused entries of one block: (index in the block, reason).
    pub fn rejected_entries_at(&self, height: u64) -> Result<Vec<(usize, Rejection)>, LedgerError> {
        let mut st = self.conn.prepare(
            "SELECT idx, code, message FROM rejected_entries WHERE height = ?1 ORDER BY idx",
        )?;
        let rows = st.query_map([height as i64], |r| {
            let code: String = r.get(1)?;
            Ok((
                r.get::<_, i64>(0)? as usize,
                Rejection::new(
                    RejectCode::parse(&code).unwrap_or(RejectCode::Malformed),
                    r.get::<_, String>(2)?,
                ),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Entries of stored blocks that the rules refused.
    pub fn rejected_entries(&self) -> Result<Vec<(u64, usize, String, Rejection)>, LedgerError> {
        let mut st = self.conn.prepare(
            "SELECT height, idx, kind, code, message FROM rejected_entries ORDER BY height, idx",
        )?;
        let rows = st.query_map([], |r| {
            let code: String = r.get(3)?;
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, i64>(1)? as usize,
                r.get(2)?,
                Rejection::new(
                    RejectCode::parse(&code).unwrap_or(RejectCode::Malformed),
                    r.get::<_, String>(4)?,
                ),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Membership is judged at the epoch of the block being applied.
fn set_epoch(tx: &rusqlite::Transaction<'_>, height: u64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE chain SET epoch = ?1 / epoch_length",
        [height as i64],
    )?;
    // Member keys rotated during the previous epoch take over now.
    crate::rules::apply_due_member_keys(tx, height)
}

/// Judge `entries` in order against the state in `tx`, leaving the effects of
/// the accepted ones applied. Stateful checks run with a savepoint per entry;
/// the deferred signature and proof checks then run in parallel, validity
/// proofs first in batches (a failed batch only means each is checked
/// alone); entries whose deferred checks fail are refused and the pass is
/// redone without them, so nothing accepted leans on a refused entry.
/// Deterministic: the result depends only on the state and the entries.
fn settle(
    tx: &rusqlite::Transaction<'_>,
    height: u64,
    timestamp: u64,
    entries: &[SignedEntry],
    replaying: bool,
) -> Result<Vec<Result<(), Rejection>>, LedgerError> {
    let mut verdicts: Vec<Option<Result<(), Rejection>>> = vec![None; entries.len()];
    loop {
        tx.execute_batch("SAVEPOINT pass")?;
        let mut deferred: Vec<(usize, Deferred)> = Vec::new();
        for (i, se) in entries.iter().enumerate() {
            if matches!(verdicts[i], Some(Err(_))) {
                continue;
            }
            let ctx = BlockCtx {
                height,
                timestamp,
                index: i,
                replaying,
            };
            tx.execute_batch("SAVEPOINT entry")?;
            let mut d = Vec::new();
            match validate_and_apply(tx, &ctx, se, &mut d) {
                Ok(()) => {
                    tx.execute_batch("RELEASE entry")?;
                    deferred.extend(d.into_iter().map(|x| (i, x)));
                    verdicts[i] = Some(Ok(()));
                }
                Err(RuleError::Sql(e)) => return Err(e.into()),
                Err(RuleError::Reject(r)) => {
                    tx.execute_batch("ROLLBACK TO entry; RELEASE entry")?;
                    verdicts[i] = Some(Err(r));
                }
            }
        }
        crate::rules::verify_validity_batches(deferred.iter().map(|(_, d)| d));
        let failed: Vec<(usize, Rejection)> = deferred
            .par_iter()
            .filter_map(|(i, d)| d.run().err().map(|r| (*i, r)))
            .collect();
        if failed.is_empty() {
            tx.execute_batch("RELEASE pass")?;
            break;
        }
        tx.execute_batch("ROLLBACK TO pass; RELEASE pass")?;
        for (i, r) in failed {
            if !matches!(verdicts[i], Some(Err(_))) {
                verdicts[i] = Some(Err(r));
            }
        }
    }
    Ok(verdicts
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Rejection::new(RejectCode::Malformed, "not checked"))))
        .collect())
}

/// Replace the stored entries of a record (the furnished one and any
/// re-seal, in `entries` and in their blocks' bodies; all but `keep`) by the
/// same entries with their ciphertext erased: every one when the record is
/// erased, the superseded ones when it is re-sealed. The blocks' hashes and
/// Merkle roots are unchanged: both commit to the digest that stays.
fn erase_stored_payload(
    tx: &rusqlite::Transaction<'_>,
    record_id: &Id,
    keep: Option<&Id>,
) -> Result<(), LedgerError> {
    let mut stored: Vec<(Vec<u8>, i64, i64, Vec<u8>)> = Vec::new();
    {
        let mut st = tx.prepare(
            "SELECT e.entry_id, e.height, e.idx, e.body FROM records r JOIN entries e ON e.entry_id = r.entry_id
             WHERE r.record_id = ?1
             UNION ALL
             SELECT e.entry_id, e.height, e.idx, e.body FROM records r JOIN entries e ON e.subject = r.subject
             WHERE r.record_id = ?1 AND e.kind = 'record-resealed'",
        )?;
        let rows = st.query_map([&record_id[..]], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        for row in rows {
            stored.push(row?);
        }
    }
    for (eid, height, idx, body) in stored {
        if keep.is_some_and(|k| k[..] == eid[..]) {
            continue;
        }
        let se: SignedEntry = from_bytes("entry", &body)?;
        let of_record = match &se.entry {
            Entry::RecordFurnished(r) => r.record_id == *record_id,
            Entry::RecordResealed { record_id: r, .. } => r == record_id,
            _ => false,
        };
        let Some(erased) = erased_entry(&se).filter(|_| of_record) else {
            continue;
        };
        tx.execute(
            "UPDATE entries SET body = ?1 WHERE entry_id = ?2",
            params![to_bytes(&erased), &eid[..]],
        )?;
        let block_body: Vec<u8> =
            tx.query_row("SELECT body FROM blocks WHERE height = ?1", [height], |r| {
                r.get(0)
            })?;
        let mut block: Block = from_bytes("block", &block_body)?;
        let Some(slot) = block.entries.get_mut(idx as usize) else {
            return Err(LedgerError::InvalidBlock {
                height: height as u64,
                why: format!("entry {idx} of an erased record is not in its block"),
            });
        };
        *slot = erased;
        tx.execute(
            "UPDATE blocks SET body = ?1 WHERE height = ?2",
            params![to_bytes(&block), height],
        )?;
    }
    Ok(())
}
