//! Members by epoch and membership proposals.
use super::*;

/// A member in force during an epoch, with the p2p address the ledger holds
/// for it (members admitted after genesis; founding members' addresses are
/// in the genesis file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochMember {
    pub member: MemberRow,
    pub address: Option<String>,
}

/// The members in force during `epoch`: the validator set of that epoch.
pub fn members_at_epoch(view: &Ledger, epoch: u64) -> Result<Vec<EpochMember>, LedgerError> {
    let conn = view.conn();
    let mut st = conn.prepare(
        // A member's key in `epoch`: the latest rotation in force by then
        // (`member_keys`), else the key it joined with.
        "SELECT m.party, m.name, m.role,
                COALESCE(k.sign_pk, m.sign_pk), COALESCE(k.enc_pk, m.enc_pk), m.address
         FROM members m
         LEFT JOIN member_keys k ON k.party = m.party AND k.from_epoch =
             (SELECT MAX(from_epoch) FROM member_keys WHERE party = m.party AND from_epoch <= ?1)
         WHERE m.from_epoch <= ?1 AND (m.until_epoch IS NULL OR m.until_epoch > ?1)
         ORDER BY m.since, m.name",
    )?;
    let rows = st.query_map([epoch as i64], |r| {
        let role: String = r.get(2)?;
        Ok(EpochMember {
            member: MemberRow {
                party: PartyId(id32(r.get(0)?)?),
                name: r.get(1)?,
                role: crate::column::role(&role)?,
                key: credence_crypto::PublicIdentity {
                    sign: id32(r.get(3)?)?,
                    enc: id32(r.get(4)?)?,
                },
            },
            address: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The accepted entries that found the consortium and change its members
/// (genesis, proposals, votes, members' key rotations) by id and height, in ledger order: what a
/// light client replays to learn each epoch's members.
pub fn membership_entries(view: &Ledger) -> Result<Vec<(Id, u64)>, LedgerError> {
    let mut st = view.conn().prepare(
        "SELECT entry_id, height FROM entries
         WHERE kind IN ('genesis', 'member-proposed', 'member-vote')
            OR entry_id IN (SELECT entry_id FROM member_keys WHERE entry_id IS NOT NULL)
         ORDER BY height, idx",
    )?;
    let rows = st.query_map([], |r| Ok((id32(r.get(0)?)?, r.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether an approved membership change, or a member's key rotation,
/// waits for a later epoch (so leaders fill the epoch's remaining heights
/// even with nothing to order).
pub fn membership_change_pending(view: &Ledger) -> Result<bool, LedgerError> {
    let conn = view.conn();
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM membership_proposals, chain
         WHERE status = 'approved' AND effective_epoch > chain.epoch)
         OR EXISTS(SELECT 1 FROM member_keys WHERE applied = 0)",
        [],
        |r| r.get(0),
    )?)
}

/// A membership proposal and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalInfo {
    pub proposal_id: Id,
    pub proposer: PartyId,
    pub change: MembershipChange,
    pub height: u64,
    pub status: ProposalStatus,
    pub effective_epoch: Option<u64>,
    /// (voter, approve) in the order the votes landed.
    pub votes: Vec<(PartyId, bool)>,
}

/// A `membership_proposals` row as stored: id, proposer, change, height,
/// status, effective epoch.
type ProposalRow = (Vec<u8>, Vec<u8>, Vec<u8>, i64, String, Option<i64>);

pub fn membership_proposals(view: &Ledger) -> Result<Vec<ProposalInfo>, LedgerError> {
    let conn = view.conn();
    let mut st = conn.prepare(
        "SELECT proposal_id, proposer, change, height, status, effective_epoch
         FROM membership_proposals ORDER BY height, proposal_id",
    )?;
    let rows: Vec<ProposalRow> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (id, proposer, change, height, status, eff) in rows {
        let mut vs = conn.prepare(
            "SELECT voter, approve FROM membership_votes WHERE proposal_id = ?1 ORDER BY height, voter",
        )?;
        let votes = vs
            .query_map([&id[..]], |r| Ok((PartyId(id32(r.get(0)?)?), r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        out.push(ProposalInfo {
            proposal_id: id32(id)?,
            proposer: PartyId(id32(proposer)?),
            change: crate::encode::from_bytes("membership change", &change)?,
            height: height as u64,
            status: crate::column::proposal_status(&status)?,
            effective_epoch: eff.map(|e| e as u64),
            votes,
        });
    }
    Ok(out)
}
