//! Asking a question through a member's node, once: the signed question is
//! kept in the asker's home until its answer is verified, so a retry after a
//! timeout submits the same entry again (or just waits for it) instead of
//! asking a second time.
use crate::actions;
use crate::reads::{self, VerifiedAnswer};
use crate::{ApiError, ErrorCode, Result};
use credence_crypto::hash::digest;
use credence_crypto::proof::Predicate;
use credence_crypto::{Identity, PartyId};
use credence_ledger::encode::{from_bytes, to_bytes};
use credence_ledger::{read, Id, Ledger, SignedEntry};
use credence_node::client::NodeClient;
use credence_node::Receipt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Longest wait a caller may ask for.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3_600);

/// One question: who asks whom, about whom, what.
pub struct Question<'a> {
    pub requester: &'a Identity,
    pub subject: PartyId,
    pub predicate: Predicate,
    pub responder: PartyId,
    pub target: Option<Id>,
}

impl Question<'_> {
    /// The same question asked again has the same key.
    fn key(&self) -> String {
        let target = self.target.map(|t| t.to_vec()).unwrap_or_default();
        hex::encode(digest(
            b"credence.pending-question.v1",
            &[
                &self.requester.party_id().0,
                &self.subject.0,
                self.predicate.to_string().as_bytes(),
                &self.responder.0,
                &target,
            ],
        ))
    }
}

/// Where pending questions are kept: `HOME/questions/`.
pub fn pending_dir(home: &Path) -> PathBuf {
    home.join("questions")
}

fn io(what: &str, p: &Path, e: std::io::Error) -> ApiError {
    ApiError::new(ErrorCode::Io, format!("{what} {}: {e}", p.display()))
}

/// The signed question to submit for `q`: the one kept from an earlier try
/// if there is one, else a new one (kept before it is sent).
fn signed_question(
    dir: &Path,
    view: &Ledger,
    q: &Question<'_>,
    now: u64,
) -> Result<(Id, SignedEntry, PathBuf, bool)> {
    let file = dir.join(format!("{}.entry", q.key()));
    if let Ok(bytes) = std::fs::read(&file) {
        if let Ok(e) = from_bytes::<SignedEntry>("pending question", &bytes) {
            if let credence_ledger::Entry::QueryAsked(a) = &e.entry {
                return Ok((a.query_id, e, file, true));
            }
        }
        // Unreadable: ask afresh.
        let _ = std::fs::remove_file(&file);
    }
    let (qid, entry) = actions::ask(
        view,
        q.requester,
        &q.subject,
        q.predicate,
        &q.responder,
        q.target,
        now,
    )?;
    std::fs::create_dir_all(dir).map_err(|e| io("creating", dir, e))?;
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, to_bytes(&entry)).map_err(|e| io("writing", &tmp, e))?;
    std::fs::rename(&tmp, &file).map_err(|e| io("writing", &file, e))?;
    Ok((qid, entry, file, false))
}

/// Whether the question is not yet on `view`'s ledger.
fn not_asked_on(view: &Ledger, qid: &Id) -> Result<bool> {
    let q = read::query(view, qid)?;
    Ok(q.is_none())
}

/// What asking gave.
pub struct Asked {
    pub query_id: Id,
    pub answer: VerifiedAnswer,
    /// The question was already on its way from an earlier try.
    pub resumed: bool,
}

/// Ask `q` through `client` (the asker's member node, whose ledger `view`
/// is) and wait up to `timeout` for the answer, verified on `view`.
pub fn ask_once(
    home: &Path,
    view: &Ledger,
    client: &NodeClient,
    q: &Question<'_>,
    now: u64,
    timeout: Duration,
) -> Result<Asked> {
    if timeout.is_zero() || timeout > MAX_TIMEOUT {
        return Err(ApiError::invalid(format!(
            "the timeout must be from 1 to {} seconds",
            MAX_TIMEOUT.as_secs()
        )));
    }
    let started = Instant::now();
    let deadline = started + timeout;
    let dir = pending_dir(home);
    let (qid, entry, file, resumed) = signed_question(&dir, view, q, now)?;
    let timed_out = || {
        ApiError::new(
            ErrorCode::Timeout,
            format!(
                "question {} was sent but not answered within {} s. It may still be answered: \
                 run the same command again to wait for it (it will not be asked twice)",
                hex::encode(qid),
                timeout.as_secs()
            ),
        )
    };
    if not_asked_on(view, &qid)? {
        match client
            .submit(std::slice::from_ref(&entry), timeout)?
            .remove(0)
        {
            Some(Receipt::Final { .. }) => {}
            Some(Receipt::Rejected(r)) => {
                // Refused for good (a consent revoked meanwhile, say): a later
                // try asks afresh.
                if not_asked_on(view, &qid)? {
                    let _ = std::fs::remove_file(&file);
                    return Err(r.into());
                }
            }
            None => return Err(timed_out()),
        }
    }
    let left = deadline.saturating_duration_since(Instant::now());
    let answer =
        credence_ledger::clock::poll(
            left,
            Duration::from_millis(10),
            || match reads::verify_answer(view, &qid) {
                Ok(answer) => Ok(Some(answer)),
                Err(e) if e.code == ErrorCode::NotFound => Ok(None),
                Err(e) => Err(e),
            },
        )?
        .ok_or_else(timed_out)?;
    let _ = std::fs::remove_file(&file);
    Ok(Asked {
        query_id: qid,
        answer,
        resumed,
    })
}
