//! The consortium itself: genesis, admitting and removing members by
//! 2/3 vote at epoch boundaries, and replacing a member's leaked key by the
//! same vote (`Rekey`; the effect lives with the other key rules).
use super::*;

pub(super) fn apply(cx: &mut Apply, entry: &Entry) -> R<()> {
    let (conn, ctx, h, ts) = (cx.conn, cx.ctx, cx.h, cx.ts);
    match entry {
        Entry::Genesis(g) => {
            if ctx.height != 0 || ctx.index != 0 {
                return reject(
                    C::Malformed,
                    "genesis may only be the first entry of block 0",
                );
            }
            if g.members.is_empty() {
                return reject(C::Malformed, "genesis names no members");
            }
            if g.policy.epoch_length < 2 {
                return reject(C::Malformed, "an epoch must be at least 2 blocks long");
            }
            if !(1..=365).contains(&g.policy.dispute_days) {
                return reject(
                    C::Malformed,
                    "a furnisher's time to answer a dispute must be 1 to 365 days",
                );
            }
            if !(365..=36_500).contains(&g.policy.retention_days) {
                return reject(
                    C::Malformed,
                    "a record's retention must be 365 to 36,500 days",
                );
            }
            conn.execute(
                "INSERT INTO chain (one, consortium, epoch_length, epoch, dispute_days, retention_days) VALUES (1, ?1, ?2, 0, ?3, ?4)",
                params![g.consortium, g.policy.epoch_length as i64, g.policy.dispute_days, g.policy.retention_days],
            )?;
            let keys: Vec<([u8; 32], &'static str)> = g
                .members
                .iter()
                .map(|m| (m.key.sign, "founding member"))
                .collect();
            let refs: Vec<(&[u8; 32], &'static str)> = keys.iter().map(|(k, w)| (k, *w)).collect();
            cx.sign(&refs)?;
            for m in &g.members {
                if m.name.trim().is_empty() || m.name.len() > 64 {
                    return reject(C::Malformed, "a member name must be 1 to 64 characters");
                }
                let p = m.key.party_id();
                if member(conn, &p)?.is_some() {
                    return reject(
                        C::AlreadyExists,
                        format!("member {} is listed twice", m.name),
                    );
                }
                conn.execute(
                    "INSERT INTO members (party, name, role, sign_pk, enc_pk, key_id, since) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                    params![&p.0[..], m.name, m.role.as_str(), &m.key.sign[..], &m.key.enc[..], &m.key.key_id().0[..], h],
                )
                .map_err(|_| Rejection::new(C::AlreadyExists, format!("member {} reuses a key", m.name)))?;
            }
        }
        Entry::MemberProposed {
            proposal_id,
            proposer,
            change,
        } => {
            let p = need_member(conn, proposer, "proposer")?;
            let mut candidate_sig = None;
            let (kind, party) = match change {
                MembershipChange::Admit(req) => {
                    let (consortium, _, _) = chain(conn)?;
                    if req.consortium != consortium {
                        return reject(
                            C::Malformed,
                            format!("the join request is for consortium {:?}", req.consortium),
                        );
                    }
                    let m = &req.member;
                    if m.name.trim().is_empty() || m.name.len() > 64 {
                        return reject(C::Malformed, "a member name must be 1 to 64 characters");
                    }
                    if req.address.parse::<std::net::SocketAddr>().is_err() {
                        return reject(
                            C::Malformed,
                            format!("the candidate's address {:?} is not host:port", req.address),
                        );
                    }
                    let party = m.key.party_id();
                    let known: bool = conn.query_row(
                        "SELECT EXISTS(SELECT 1 FROM members WHERE party = ?1 OR key_id = ?2 OR name = ?3)",
                        params![&party.0[..], &m.key.key_id().0[..], m.name],
                        |r| r.get(0),
                    )?;
                    if known || subject_key(conn, &party)?.is_some() {
                        return reject(
                            C::AlreadyExists,
                            format!("{} (or its key) is already known to the consortium", m.name),
                        );
                    }
                    candidate_sig = Some(Deferred::Signature {
                        signer: m.key.sign,
                        domain: crate::encode::JOIN_SIG_DOMAIN,
                        msg: Arc::new(crate::encode::join_request_bytes(
                            &req.consortium,
                            m,
                            &req.address,
                        )),
                        sig: req.signature,
                        who: "candidate",
                    });
                    ("admit", party)
                }
                MembershipChange::Remove { party } => {
                    need_member(conn, party, "member to remove")?;
                    let scheduled: bool = conn.query_row(
                        "SELECT EXISTS(SELECT 1 FROM members WHERE party = ?1 AND until_epoch IS NOT NULL)",
                        [&party.0[..]],
                        |r| r.get(0),
                    )?;
                    if scheduled {
                        return reject(
                            C::AlreadyExists,
                            "that member's removal is already approved",
                        );
                    }
                    ("remove", *party)
                }
                MembershipChange::Rekey(req) => {
                    let (consortium, _, _) = chain(conn)?;
                    if req.consortium != consortium {
                        return reject(
                            C::Malformed,
                            format!("the rekey request is for consortium {:?}", req.consortium),
                        );
                    }
                    if req.compromised_since > ctx.timestamp {
                        return reject(
                            C::Malformed,
                            "a key cannot be declared compromised as of a time after the proposal's block",
                        );
                    }
                    need_member(conn, &req.party, "member to re-key")?;
                    if super::keys::key_in_use(conn, &req.new_key)? {
                        return reject(
                            C::AlreadyExists,
                            "the new key is, or was, already some party's key: make a fresh one",
                        );
                    }
                    candidate_sig = Some(Deferred::Signature {
                        signer: req.new_key.sign,
                        domain: crate::encode::REKEY_SIG_DOMAIN,
                        msg: Arc::new(crate::encode::rekey_request_bytes(
                            &req.consortium,
                            &req.party,
                            &req.new_key,
                            req.compromised_since,
                        )),
                        sig: req.signature,
                        who: "member's new key",
                    });
                    ("rekey", req.party)
                }
            };
            cx.sign(&[(&p.key.sign, "proposer")])?;
            cx.deferred.extend(candidate_sig);
            need_new(
                conn,
                "SELECT EXISTS(SELECT 1 FROM membership_proposals WHERE proposal_id = ?1)",
                proposal_id,
                "proposal",
            )?;
            let open: bool = conn.query_row(
                "SELECT EXISTS(SELECT 1 FROM membership_proposals WHERE party = ?1 AND status = 'open')",
                [&party.0[..]],
                |r| r.get(0),
            )?;
            if open {
                return reject(
                    C::AlreadyExists,
                    "a proposal about that member is already open",
                );
            }
            conn.execute(
                "INSERT INTO membership_proposals (proposal_id, proposer, kind, party, change, height, at, status)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,'open')",
                params![&proposal_id[..], &proposer.0[..], kind, &party.0[..], crate::encode::to_bytes(change), h, ts],
            )?;
            cast_vote(conn, ctx, proposal_id, proposer, true)?;
        }
        Entry::MemberVote {
            proposal_id,
            voter,
            approve,
        } => {
            let v = need_member(conn, voter, "voter")?;
            cx.sign(&[(&v.key.sign, "voter")])?;
            let status: Option<String> = conn
                .query_row(
                    "SELECT status FROM membership_proposals WHERE proposal_id = ?1",
                    [&proposal_id[..]],
                    |r| r.get(0),
                )
                .optional()?;
            match status.as_deref() {
                None => return reject(C::UnknownQuery, "no such membership proposal"),
                Some("open") => {}
                Some(s) => {
                    return reject(
                        C::AlreadyAnswered,
                        format!("the membership proposal is already {s}"),
                    )
                }
            }
            cast_vote(conn, ctx, proposal_id, voter, *approve)?;
        }
        _ => return reject(C::Malformed, "entry routed to the membership rules"),
    }
    Ok(())
}

/// Record a vote and decide the proposal once 2/3 of the members in force
/// approve (it then takes effect at the next epoch) or more than 1/3 refuse.
pub(super) fn cast_vote(
    conn: &Connection,
    ctx: &BlockCtx,
    proposal_id: &Id,
    voter: &PartyId,
    approve: bool,
) -> R<()> {
    let done = conn.execute(
        "INSERT OR IGNORE INTO membership_votes (proposal_id, voter, approve, height) VALUES (?1,?2,?3,?4)",
        params![&proposal_id[..], &voter.0[..], approve, ctx.height as i64],
    )?;
    if done == 0 {
        return reject(
            C::AlreadyExists,
            "this member already voted on the proposal",
        );
    }
    let (_, _, epoch) = chain(conn)?;
    let in_force = "(SELECT party FROM members WHERE from_epoch <= ?2 AND (until_epoch IS NULL OR until_epoch > ?2))";
    let n: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM {in_force}"),
        params![&proposal_id[..], epoch as i64],
        |r| r.get(0),
    )?;
    let count = |yes: bool| -> rusqlite::Result<i64> {
        conn.query_row(
            &format!("SELECT COUNT(*) FROM membership_votes WHERE proposal_id = ?1 AND approve = ?3 AND voter IN {in_force}"),
            params![&proposal_id[..], epoch as i64, yes],
            |r| r.get(0),
        )
    };
    let (yes, no) = (count(true)?, count(false)?);
    let status = ProposalStatus::tally(n as u64, yes as u64, no as u64);
    if status == ProposalStatus::Approved {
        let effective = epoch as i64 + 1;
        let (kind, change): (String, Vec<u8>) = conn.query_row(
            "SELECT kind, change FROM membership_proposals WHERE proposal_id = ?1",
            [&proposal_id[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let change: MembershipChange = crate::encode::from_bytes("membership change", &change)
            .map_err(|e| Rejection::new(C::Malformed, e.to_string()))?;
        match change {
            MembershipChange::Admit(req) => {
                let m = req.member;
                conn.execute(
                    "INSERT INTO members (party, name, role, sign_pk, enc_pk, key_id, since, from_epoch, address)
                     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                    params![&m.key.party_id().0[..], m.name, m.role.as_str(), &m.key.sign[..], &m.key.enc[..], &m.key.key_id().0[..], ctx.height as i64, effective, req.address],
                )
                .map_err(|_| Rejection::new(C::AlreadyExists, format!("{} is already a member", m.name)))?;
            }
            MembershipChange::Rekey(req) => {
                super::keys::declare_member_compromised(
                    conn,
                    &req,
                    proposal_id,
                    (ctx.height as i64, ctx.timestamp as i64, effective),
                )?;
            }
            MembershipChange::Remove { party } => {
                let left: i64 = conn.query_row(
                    &format!("SELECT COUNT(*) FROM {in_force} WHERE party != ?1"),
                    params![&party.0[..], epoch as i64],
                    |r| r.get(0),
                )?;
                if left == 0 {
                    return reject(C::Malformed, "the last member cannot be removed");
                }
                conn.execute(
                    "UPDATE members SET until_epoch = ?2 WHERE party = ?1",
                    params![&party.0[..], effective],
                )?;
            }
        }
        debug_assert!(kind == "admit" || kind == "remove" || kind == "rekey");
        conn.execute(
            "UPDATE membership_proposals SET status = 'approved', decided_height = ?2, effective_epoch = ?3 WHERE proposal_id = ?1",
            params![&proposal_id[..], ctx.height as i64, effective],
        )?;
    } else if status == ProposalStatus::Refused {
        conn.execute(
            "UPDATE membership_proposals SET status = 'refused', decided_height = ?2 WHERE proposal_id = ?1",
            params![&proposal_id[..], ctx.height as i64],
        )?;
    }
    Ok(())
}
