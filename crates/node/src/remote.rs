//! A consortium reached through a member node's client API, with read views
//! of member ledgers on this machine (the demo's members, or the member whose
//! desktop this is). Implements `Network`, like the in-process sequencer.
use crate::client::NodeClient;
use crate::{Network, NodeError, Receipt};
use credence_crypto::PartyId;
use credence_ledger::{Ledger, SignedEntry};
use std::path::Path;
use std::time::{Duration, Instant};

pub struct RemoteConsortium {
    client: NodeClient,
    views: Vec<(PartyId, Ledger)>,
    /// How long to wait for entries to become final.
    pub wait: Duration,
}

impl RemoteConsortium {
    pub fn new(client: NodeClient) -> Self {
        RemoteConsortium {
            client,
            views: Vec::new(),
            wait: Duration::from_secs(120),
        }
    }

    /// Add a read view: `member`'s ledger file.
    pub fn add_view(&mut self, member: PartyId, ledger_file: &Path) -> Result<(), NodeError> {
        self.views
            .push((member, Ledger::open_read_only(ledger_file)?));
        Ok(())
    }

    pub fn client(&self) -> &NodeClient {
        &self.client
    }

    /// Wait until every view has applied `height` (bounded by `self.wait`).
    fn catch_up(&self, height: u64) -> Result<(), NodeError> {
        let deadline = Instant::now() + self.wait;
        for (p, l) in &self.views {
            let left = deadline.saturating_duration_since(Instant::now());
            let reached = credence_ledger::clock::poll(left, Duration::from_millis(20), || {
                Ok::<_, NodeError>(
                    (l.head()?.map(|h| h.height).unwrap_or(0) >= height).then_some(()),
                )
            })?;
            if reached.is_none() {
                return Err(NodeError::NotFinal(format!(
                    "member {} did not reach height {height} in time",
                    p.short()
                )));
            }
        }
        Ok(())
    }
}

impl Network for RemoteConsortium {
    fn submit(&mut self, entries: Vec<SignedEntry>) -> Result<Vec<Receipt>, NodeError> {
        let mut out = Vec::with_capacity(entries.len());
        for chunk in entries.chunks(200) {
            let receipts = self.client.submit(chunk, self.wait)?;
            let mut top = 0;
            for r in receipts {
                match r {
                    Some(r) => {
                        if let Receipt::Final { height, .. } = &r {
                            top = top.max(*height);
                        }
                        out.push(r);
                    }
                    None => {
                        return Err(NodeError::NotFinal(format!(
                            "an entry was not final within {} s (is a quorum of members running?)",
                            self.wait.as_secs()
                        )))
                    }
                }
            }
            self.catch_up(top)?;
        }
        Ok(out)
    }

    fn view(&self, member: &PartyId) -> Result<&Ledger, NodeError> {
        self.views
            .iter()
            .find(|(p, _)| p == member)
            .map(|(_, l)| l)
            .ok_or_else(|| NodeError::UnknownMember(member.short()))
    }

    fn now(&self) -> u64 {
        credence_ledger::clock::unix_now()
    }
}

/// Verify a ledger file written by consensus or by the local sequencer.
pub fn verify_ledger(
    path: &Path,
    progress: impl FnMut(u64, u64),
) -> Result<credence_ledger::verify::VerifyReport, credence_ledger::verify::VerifyFailure> {
    use credence_ledger::verify::{verify_open, VerifyFailure};
    let wal = credence_ledger::wal::inspect(path)
        .map_err(|e| VerifyFailure::Unreadable(credence_ledger::LedgerError::Io(e.to_string())))?;
    let file = Ledger::open_snapshot(path)?;
    let consortium = match file
        .block(0)?
        .map(|(b, _)| b.entries.first().map(|e| e.entry.clone()))
    {
        Some(Some(credence_ledger::Entry::Genesis(g))) => g.consortium,
        _ => String::new(),
    };
    let ns = crate::consensus::namespace(&consortium);
    let check =
        move |b: &credence_ledger::Block,
              c: &credence_ledger::Certificate,
              prev: Option<&credence_ledger::Certificate>,
              keys: &[(credence_crypto::PartyId, credence_crypto::PublicIdentity)]| {
            let ks: Vec<_> = keys.iter().map(|(p, k)| (*p, k.sign)).collect();
            crate::consensus::check_certificate(&ns, b, c, prev, &ks)
        };
    let mut report = verify_open(&file, Some(&check), progress)?;
    report.wal = wal;
    Ok(report)
}
