//! Reading a ledger file's write-ahead log (SQLite's WAL format) without
//! SQLite, to tell whether it is whole.
//!
//! SQLite silently ignores a WAL's frames after the last complete
//! transaction, so a ledger whose WAL was cut opens fine at an older height.
//! `inspect` finds what SQLite would ignore and says so. A torn WAL means the
//! last blocks are gone from that file (or were being written when the node
//! stopped); a node gets them back from its peers.
use std::path::{Path, PathBuf};

const HEADER: usize = 32;
const FRAME_HEADER: usize = 24;

/// What the write-ahead log beside a ledger file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WalState {
    /// No WAL and no sign of one: the file alone is the ledger (as after a
    /// clean stop).
    Absent,
    /// Every frame belongs to a committed transaction (frames of an older
    /// generation after them are normal and ignored).
    Whole { committed_frames: u64 },
    /// Bytes after the last committed transaction that SQLite will ignore.
    Torn {
        committed_frames: u64,
        ignored_bytes: u64,
        why: String,
    },
    /// The shared-memory index is there but the WAL is not: it was removed
    /// while the ledger was in use, and whatever it held is gone.
    Missing,
}

impl WalState {
    pub fn is_whole(&self) -> bool {
        matches!(self, WalState::Absent | WalState::Whole { .. })
    }

    /// A sentence for people, or `None` when nothing is amiss.
    pub fn problem(&self, wal: &Path) -> Option<String> {
        match self {
            WalState::Absent | WalState::Whole { .. } => None,
            WalState::Torn {
                committed_frames,
                ignored_bytes,
                why,
            } => Some(format!(
                "the write-ahead log {} is torn ({why}): {ignored_bytes} bytes after its last \
                 complete transaction (frame {committed_frames}) are ignored, so the last blocks \
                 written are gone from this file. A member node gets them back from its peers; \
                 otherwise restore the file from a copy",
                wal.display()
            )),
            WalState::Missing => Some(format!(
                "the write-ahead log {} is missing (its index, -shm, is there): blocks written \
                 since the last checkpoint are gone from this file. A member node gets them back \
                 from its peers",
                wal.display()
            )),
        }
    }
}

/// The WAL's path for a ledger file.
pub fn wal_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

pub fn shm_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push("-shm");
    PathBuf::from(s)
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing
/// from `(s0, s1)`; words are big-endian when `big` (the magic's low bit).
fn checksum(data: &[u8], big: bool, mut s0: u32, mut s1: u32) -> (u32, u32) {
    for pair in data.chunks_exact(8) {
        let (x0, x1) = if big {
            (be32(pair, 0), be32(pair, 4))
        } else {
            (
                u32::from_le_bytes([pair[0], pair[1], pair[2], pair[3]]),
                u32::from_le_bytes([pair[4], pair[5], pair[6], pair[7]]),
            )
        };
        s0 = s0.wrapping_add(x0).wrapping_add(s1);
        s1 = s1.wrapping_add(x1).wrapping_add(s0);
    }
    (s0, s1)
}

/// Judge the bytes of a WAL file.
pub fn judge(wal: &[u8]) -> WalState {
    if wal.is_empty() {
        return WalState::Whole {
            committed_frames: 0,
        };
    }
    let torn = |why: &str, committed: u64, from: usize| WalState::Torn {
        committed_frames: committed,
        ignored_bytes: (wal.len() - from) as u64,
        why: why.to_string(),
    };
    if wal.len() < HEADER {
        return torn("shorter than its header", 0, 0);
    }
    let magic = be32(wal, 0);
    if magic != 0x377f_0682 && magic != 0x377f_0683 {
        return torn("not a write-ahead log header", 0, 0);
    }
    let big = magic & 1 == 1;
    let page = be32(wal, 8) as usize;
    let page = if page == 1 { 65_536 } else { page };
    if !(512..=65_536).contains(&page) || !page.is_power_of_two() {
        return torn("bad page size in the header", 0, 0);
    }
    let (c0, c1) = checksum(&wal[..24], big, 0, 0);
    if (c0, c1) != (be32(wal, 24), be32(wal, 28)) {
        return torn("bad header checksum", 0, 0);
    }
    let (salt1, salt2) = (be32(wal, 16), be32(wal, 20));
    let frame = FRAME_HEADER + page;
    let (mut s0, mut s1) = (c0, c1);
    let mut at = HEADER;
    let mut frames = 0u64;
    let mut committed = 0u64;
    let mut committed_end = HEADER;
    let mut older = false;
    while at + frame <= wal.len() {
        let f = &wal[at..at + frame];
        if (be32(f, 8), be32(f, 12)) != (salt1, salt2) {
            // A frame of an older generation: the current one ended here.
            older = true;
            break;
        }
        let (n0, n1) = checksum(&f[..8], big, s0, s1);
        let (n0, n1) = checksum(&f[FRAME_HEADER..], big, n0, n1);
        if (n0, n1) != (be32(f, 16), be32(f, 20)) {
            return torn(
                "a frame's checksum does not match",
                committed,
                committed_end,
            );
        }
        (s0, s1) = (n0, n1);
        frames += 1;
        at += frame;
        if be32(f, 4) != 0 {
            committed = frames;
            committed_end = at;
        }
    }
    if frames > committed {
        return torn(
            "its last frames belong to no complete transaction",
            committed,
            committed_end,
        );
    }
    if !older && at != wal.len() {
        // A partial frame after the last one: the file was cut.
        return torn("it ends inside a frame", committed, committed_end);
    }
    WalState::Whole {
        committed_frames: committed,
    }
}

/// Inspect the WAL beside the ledger file `db`.
pub fn inspect(db: &Path) -> std::io::Result<WalState> {
    let wal = wal_path(db);
    match std::fs::read(&wal) {
        Ok(bytes) => Ok(judge(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if shm_path(db).exists() {
                Ok(WalState::Missing)
            } else {
                Ok(WalState::Absent)
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL made by SQLite itself: a ledger-like table written in
    /// transactions with checkpointing off.
    fn sqlite_wal(dir: &Path, transactions: usize) -> Vec<u8> {
        let db = dir.join("t.db");
        let c = rusqlite::Connection::open(&db).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        c.execute("CREATE TABLE blocks (h INTEGER PRIMARY KEY, body BLOB)", [])
            .unwrap();
        for h in 0..transactions {
            c.execute(
                "INSERT INTO blocks VALUES (?1, ?2)",
                rusqlite::params![h as i64, vec![h as u8; 3000]],
            )
            .unwrap();
        }
        let bytes = std::fs::read(wal_path(&db)).unwrap();
        std::mem::forget(c); // keep the WAL as a running node leaves it
        bytes
    }

    #[test]
    fn a_whole_wal_is_whole_and_a_cut_one_is_torn() {
        let dir = std::env::temp_dir().join(format!("credence-wal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let wal = sqlite_wal(&dir, 20);
        let whole = judge(&wal);
        assert!(
            matches!(whole, WalState::Whole { committed_frames } if committed_frames > 20),
            "{whole:?}"
        );
        let half = &wal[..wal.len() / 2];
        assert!(
            matches!(judge(half), WalState::Torn { .. }),
            "{:?}",
            judge(half)
        );
        // Cut on a frame boundary inside a transaction: no commit follows.
        let frame = be32(&wal, 8) as usize + FRAME_HEADER;
        let open = (0..(wal.len() - HEADER) / frame)
            .find(|i| be32(&wal, HEADER + i * frame + 4) == 0)
            .expect("a transaction of more than one frame");
        let cut = &wal[..HEADER + (open + 1) * frame];
        assert!(
            matches!(judge(cut), WalState::Torn { ignored_bytes, .. } if ignored_bytes == frame as u64),
            "{:?}",
            judge(cut)
        );
        // A flipped byte in a page is caught by the checksum.
        let mut bad = wal.clone();
        let i = HEADER + FRAME_HEADER + 100;
        bad[i] ^= 1;
        assert!(matches!(judge(&bad), WalState::Torn { .. }));
        // Garbage is not a WAL.
        assert!(matches!(judge(&[7u8; 100]), WalState::Torn { .. }));
        assert_eq!(
            judge(&[]),
            WalState::Whole {
                committed_frames: 0
            }
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
