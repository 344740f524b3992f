//! The members of each epoch, as a light client learns them: from the
//! genesis (checked against the profile's genesis hash) and the finalized
//! membership entries, replayed with the rules' own tally
//! (`ProposalStatus::tally`): a change approved by 2/3 of the members in
//! force during epoch `e` takes effect at `e + 1`.
//!
//! The replay checks every proposer's, voter's and candidate's signature,
//! so no change counts without 2/3 of the real members signing for it; an
//! entry the rules would refuse (a vote on a decided proposal, a second
//! vote, a voter out of office) changes nothing here either. What the
//! replay cannot see is a candidate's key already used by a borrower, a
//! refusal honest members make before they would vote for it.
//!
//! A member's key rotation (signed by its current and its new key) takes
//! effect at the next epoch, as on the ledger: the certificates of later
//! epochs are checked against the new key.
use credence_crypto::keys::verify;
use credence_crypto::{PartyId, PublicIdentity};
use credence_ledger::encode::{
    entry_bytes, join_request_bytes, rekey_request_bytes, ENTRY_SIG_DOMAIN, JOIN_SIG_DOMAIN,
    REKEY_SIG_DOMAIN,
};
use credence_ledger::types::{
    Entry, Genesis, Id, MembershipChange, ProposalStatus, Role, SignedEntry,
};
use std::collections::BTreeMap;

/// One member's time in office: from its first epoch, until (not including)
/// the epoch its removal took effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenure {
    pub name: String,
    pub role: Role,
    pub party: PartyId,
    /// The key it joined with.
    pub key: PublicIdentity,
    /// Its rotations: from which epoch each later key holds.
    pub rotations: Vec<(u64, PublicIdentity)>,
    pub from: u64,
    pub until: Option<u64>,
}

impl Tenure {
    fn in_force(&self, epoch: u64) -> bool {
        self.from <= epoch && self.until.is_none_or(|u| u > epoch)
    }

    fn joined(name: &str, role: Role, key: PublicIdentity, from: u64) -> Self {
        Tenure {
            name: name.to_string(),
            role,
            party: key.party_id(),
            key,
            rotations: Vec::new(),
            from,
            until: None,
        }
    }

    /// The key the member signs with in `epoch`.
    pub fn key_at(&self, epoch: u64) -> PublicIdentity {
        self.rotations
            .iter()
            .rev()
            .find(|(from, _)| *from <= epoch)
            .map(|(_, k)| *k)
            .unwrap_or(self.key)
    }

    fn holds_or_held(&self, k: &PublicIdentity) -> bool {
        std::iter::once(&self.key)
            .chain(self.rotations.iter().map(|(_, k)| k))
            .any(|x| x.sign == k.sign || x.key_id() == k.key_id() || x.party_id() == k.party_id())
    }
}

/// A membership change the replay saw take effect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub name: String,
    pub admitted: bool,
    /// The epoch from which it holds.
    pub epoch: u64,
    /// The height of the vote that decided it.
    pub height: u64,
}

struct Open {
    party: PartyId,
    change: MembershipChange,
    votes: BTreeMap<PartyId, bool>,
}

/// The member set of every epoch so far.
#[derive(Clone, Debug)]
pub struct MemberSets {
    pub consortium: String,
    pub epoch_length: u64,
    pub tenures: Vec<Tenure>,
    pub changes: Vec<Change>,
}

impl MemberSets {
    /// The founders, from the genesis.
    pub fn from_genesis(g: &Genesis) -> Self {
        MemberSets {
            consortium: g.consortium.clone(),
            epoch_length: g.policy.epoch_length.max(1),
            tenures: g
                .members
                .iter()
                .map(|m| Tenure::joined(&m.name, m.role, m.key, 0))
                .collect(),
            changes: Vec::new(),
        }
    }

    pub fn epoch_of(&self, height: u64) -> u64 {
        height / self.epoch_length
    }

    /// The members in force during `epoch`.
    pub fn at_epoch(&self, epoch: u64) -> Vec<&Tenure> {
        self.tenures.iter().filter(|t| t.in_force(epoch)).collect()
    }

    /// The members, with the signing keys, that certify the block at
    /// `height`.
    pub fn keys_at(&self, height: u64) -> Vec<(PartyId, [u8; 32])> {
        let epoch = self.epoch_of(height);
        self.at_epoch(epoch)
            .iter()
            .map(|t| (t.party, t.key_at(epoch).sign))
            .collect()
    }

    /// The members in force at the newest epoch the replay reached.
    pub fn current(&self, head: u64) -> Vec<&Tenure> {
        self.at_epoch(self.epoch_of(head))
    }

    fn in_force(&self, party: &PartyId, epoch: u64) -> Option<&Tenure> {
        self.tenures
            .iter()
            .find(|t| t.party == *party && t.in_force(epoch))
    }

    /// Replay the membership entries after the genesis, in ledger order
    /// (height, then index in the block). Entries the rules would refuse
    /// have no effect, as on the ledger.
    pub fn replay<'a>(&mut self, entries: impl IntoIterator<Item = (u64, &'a SignedEntry)>) {
        let mut open: BTreeMap<Id, Open> = BTreeMap::new();
        let mut decided: Vec<Id> = Vec::new();
        for (height, se) in entries {
            let epoch = self.epoch_of(height);
            if let Entry::KeyRotated {
                party,
                new_key,
                compromised_since: None,
            } = &se.entry
            {
                self.rotate(epoch, party, new_key, se);
                continue;
            }
            let signed_by = |key: &[u8; 32]| {
                se.signatures.len() == 1
                    && verify(
                        key,
                        ENTRY_SIG_DOMAIN,
                        &entry_bytes(&se.entry),
                        &se.signatures[0],
                    )
                    .is_ok()
            };
            match &se.entry {
                Entry::MemberProposed {
                    proposal_id,
                    proposer,
                    change,
                } => {
                    let Some(p) = self.in_force(proposer, epoch) else {
                        continue;
                    };
                    if !signed_by(&p.key_at(epoch).sign)
                        || open.contains_key(proposal_id)
                        || decided.contains(proposal_id)
                    {
                        continue;
                    }
                    let party = match change {
                        MembershipChange::Admit(req) => {
                            let m = &req.member;
                            let party = m.key.party_id();
                            let known = self
                                .tenures
                                .iter()
                                .any(|t| t.holds_or_held(&m.key) || t.name == m.name);
                            let signed = verify(
                                &m.key.sign,
                                JOIN_SIG_DOMAIN,
                                &join_request_bytes(&req.consortium, m, &req.address),
                                &req.signature,
                            )
                            .is_ok();
                            if req.consortium != self.consortium
                                || req.address.parse::<std::net::SocketAddr>().is_err()
                                || known
                                || !signed
                                || m.name.trim().is_empty()
                                || m.name.len() > 64
                            {
                                continue;
                            }
                            party
                        }
                        MembershipChange::Remove { party } => {
                            let scheduled = self
                                .tenures
                                .iter()
                                .any(|t| t.party == *party && t.until.is_some());
                            if self.in_force(party, epoch).is_none() || scheduled {
                                continue;
                            }
                            *party
                        }
                        MembershipChange::Rekey(req) => {
                            let signed = verify(
                                &req.new_key.sign,
                                REKEY_SIG_DOMAIN,
                                &rekey_request_bytes(
                                    &req.consortium,
                                    &req.party,
                                    &req.new_key,
                                    req.compromised_since,
                                ),
                                &req.signature,
                            )
                            .is_ok();
                            if req.consortium != self.consortium
                                || self.in_force(&req.party, epoch).is_none()
                                || self.tenures.iter().any(|t| t.holds_or_held(&req.new_key))
                                || !signed
                            {
                                continue;
                            }
                            req.party
                        }
                    };
                    if open.values().any(|o| o.party == party) {
                        continue;
                    }
                    open.insert(
                        *proposal_id,
                        Open {
                            party,
                            change: change.clone(),
                            votes: BTreeMap::new(),
                        },
                    );
                    self.cast(&mut open, &mut decided, proposal_id, proposer, true, height);
                }
                Entry::MemberVote {
                    proposal_id,
                    voter,
                    approve,
                } => {
                    let Some(v) = self.in_force(voter, epoch) else {
                        continue;
                    };
                    let voted = open
                        .get(proposal_id)
                        .is_none_or(|o| o.votes.contains_key(voter));
                    if !signed_by(&v.key_at(epoch).sign) || voted {
                        continue;
                    }
                    self.cast(
                        &mut open,
                        &mut decided,
                        proposal_id,
                        voter,
                        *approve,
                        height,
                    );
                }
                _ => {}
            }
        }
    }

    /// A member's rotation in `epoch`, signed by its key then and the new
    /// one: the new key holds from the next epoch. Ignored as the rules
    /// would refuse it: not a member in force, a rotation already waiting,
    /// a removal decided, a key some member holds or held.
    fn rotate(&mut self, epoch: u64, party: &PartyId, new_key: &PublicIdentity, se: &SignedEntry) {
        let Some(t) = self.in_force(party, epoch) else {
            return;
        };
        let current = t.key_at(epoch);
        let bytes = entry_bytes(&se.entry);
        let signed = se.signatures.len() == 2
            && verify(&current.sign, ENTRY_SIG_DOMAIN, &bytes, &se.signatures[0]).is_ok()
            && verify(&new_key.sign, ENTRY_SIG_DOMAIN, &bytes, &se.signatures[1]).is_ok();
        let waiting = t.rotations.iter().any(|(from, _)| *from > epoch);
        if !signed
            || waiting
            || t.until.is_some()
            || self.tenures.iter().any(|o| o.holds_or_held(new_key))
        {
            return;
        }
        if let Some(t) = self.tenures.iter_mut().find(|t| t.party == *party) {
            t.rotations.push((epoch + 1, *new_key));
        }
    }

    fn cast(
        &mut self,
        open: &mut BTreeMap<Id, Open>,
        decided: &mut Vec<Id>,
        proposal_id: &Id,
        voter: &PartyId,
        approve: bool,
        height: u64,
    ) {
        let epoch = self.epoch_of(height);
        let Some(o) = open.get_mut(proposal_id) else {
            return;
        };
        o.votes.insert(*voter, approve);
        let in_force: Vec<PartyId> = self.at_epoch(epoch).iter().map(|t| t.party).collect();
        let count = |want: bool| {
            o.votes
                .iter()
                .filter(|(p, a)| **a == want && in_force.contains(p))
                .count() as u64
        };
        let n = in_force.len() as u64;
        let effective = epoch + 1;
        match ProposalStatus::tally(n, count(true), count(false)) {
            ProposalStatus::Open => return,
            ProposalStatus::Refused => {}
            ProposalStatus::Approved => match &o.change {
                MembershipChange::Admit(req) => {
                    self.tenures.push(Tenure::joined(
                        &req.member.name,
                        req.member.role,
                        req.member.key,
                        effective,
                    ));
                    self.changes.push(Change {
                        name: req.member.name.clone(),
                        admitted: true,
                        epoch: effective,
                        height,
                    });
                }
                MembershipChange::Rekey(req) => {
                    // A rotation the leaked key made that still waits is
                    // cancelled; the request's key holds from the next epoch.
                    if let Some(t) = self.tenures.iter_mut().find(|t| t.party == req.party) {
                        t.rotations.retain(|(from, _)| *from <= epoch);
                        t.rotations.push((effective, req.new_key));
                    }
                }
                MembershipChange::Remove { party } => {
                    if in_force.iter().all(|p| p == party) {
                        // The last member cannot be removed: the rules
                        // refuse the deciding vote, and it stays open.
                        o.votes.remove(voter);
                        return;
                    }
                    if let Some(t) = self.tenures.iter_mut().find(|t| t.party == *party) {
                        t.until = Some(effective);
                        self.changes.push(Change {
                            name: t.name.clone(),
                            admitted: false,
                            epoch: effective,
                            height,
                        });
                    }
                }
            },
        }
        open.remove(proposal_id);
        decided.push(*proposal_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credence_crypto::Identity;
    use credence_ledger::encode::{sign_entry, sign_join_request};
    use credence_ledger::types::{Member, Policy};
    use rand::rngs::OsRng;

    const LEN: u64 = 8;

    fn founders(n: usize) -> (Vec<Identity>, MemberSets) {
        let ids: Vec<Identity> = (0..n).map(|_| Identity::generate(&mut OsRng)).collect();
        let sets = founders_like(&ids);
        (ids, sets)
    }

    fn admit(by: &Identity, who: &Identity, name: &str, pid: u8) -> SignedEntry {
        let req = sign_join_request(
            who,
            "c",
            Member {
                name: name.into(),
                role: Role::Lender,
                key: who.public(),
            },
            "127.0.0.1:9",
        );
        sign_entry(
            Entry::MemberProposed {
                proposal_id: [pid; 32],
                proposer: by.party_id(),
                change: MembershipChange::Admit(req),
            },
            &[by],
        )
    }

    fn vote(by: &Identity, pid: u8, approve: bool) -> SignedEntry {
        sign_entry(
            Entry::MemberVote {
                proposal_id: [pid; 32],
                voter: by.party_id(),
                approve,
            },
            &[by],
        )
    }

    /// The sets of founders `ids` (as `founders` makes them).
    fn founders_like(ids: &[Identity]) -> MemberSets {
        let g = Genesis {
            consortium: "c".into(),
            created_at: 0,
            members: ids
                .iter()
                .enumerate()
                .map(|(i, id)| Member {
                    name: format!("m{i}"),
                    role: Role::Lender,
                    key: id.public(),
                })
                .collect(),
            policy: Policy {
                epoch_length: LEN,
                ..Policy::default()
            },
        };
        MemberSets::from_genesis(&g)
    }

    fn rotation(current: &Identity, next: &Identity, new_signs: &Identity) -> SignedEntry {
        sign_entry(
            Entry::KeyRotated {
                party: current.party_id(),
                new_key: next.public(),
                compromised_since: None,
            },
            &[current, new_signs],
        )
    }

    #[test]
    fn a_members_rotation_holds_from_the_next_epoch_and_its_votes_follow_the_key() {
        let (ids, mut sets) = founders(4);
        let next = ids[0].rotated(&mut OsRng);
        let other = Identity::generate(&mut OsRng);
        let entries = [
            // Not signed by the new key: ignored.
            (2, rotation(&ids[0], &next, &other)),
            // Onto another member's key: ignored.
            (2, rotation(&ids[1], &ids[2], &ids[2])),
            (3, rotation(&ids[0], &next, &next)),
            // A second one while the first waits: ignored.
            (4, rotation(&ids[0], &other, &other)),
        ];
        sets.replay(entries.iter().map(|(h, e)| (*h, e)));
        let me = ids[0].party_id();
        assert!(
            sets.keys_at(7).contains(&(me, ids[0].public().sign)),
            "epoch 0: the old key"
        );
        assert!(
            sets.keys_at(8).contains(&(me, next.public().sign)),
            "epoch 1: the new key"
        );
        assert!(!sets
            .keys_at(8)
            .iter()
            .any(|(_, k)| *k == ids[0].public().sign));
        assert!(!sets
            .keys_at(8)
            .iter()
            .any(|(_, k)| *k == other.public().sign));
        assert_eq!(sets.keys_at(8).len(), 4);
        assert_eq!(sets.tenures[1].rotations.len(), 0);

        // In epoch 1 the member votes with its new key; the old one counts
        // for nothing. Admitting m4 takes m0's vote (3 of 4).
        let new = Identity::generate(&mut OsRng);
        let later = [
            (9, admit(&ids[1], &new, "m4", 1)),
            (10, vote(&ids[2], 1, true)),
            (11, vote(&ids[0], 1, true)),
        ];
        let replayed = |extra: &[(u64, SignedEntry)]| {
            let mut sets = founders_like(&ids);
            sets.replay(
                entries
                    .iter()
                    .chain(&later)
                    .chain(extra)
                    .map(|(h, e)| (*h, e)),
            );
            sets
        };
        assert_eq!(
            replayed(&[]).keys_at(16).len(),
            4,
            "the retired key's vote did not count"
        );
        let sets = replayed(&[(12, vote(&next, 1, true))]);
        assert_eq!(sets.keys_at(16).len(), 5, "the new key's vote did");
    }

    #[test]
    fn a_leaked_members_key_replaced_by_two_thirds_cancels_the_attackers_rotation() {
        let ids: Vec<Identity> = (0..4).map(|_| Identity::generate(&mut OsRng)).collect();
        let attackers = ids[0].rotated(&mut OsRng);
        let mine = ids[0].rotated(&mut OsRng);
        let req = credence_ledger::encode::sign_rekey_request(&mine, "c", 0);
        let rekey = |by: &Identity, req: credence_ledger::types::RekeyRequest| {
            sign_entry(
                Entry::MemberProposed {
                    proposal_id: [9; 32],
                    proposer: by.party_id(),
                    change: MembershipChange::Rekey(req),
                },
                &[by],
            )
        };
        let mut forged = req.clone();
        forged.signature = ids[1].sign(REKEY_SIG_DOMAIN, b"not the request");
        let entries = [
            (2, rotation(&ids[0], &attackers, &attackers)),
            // Not signed by the new key: ignored, so the votes count for nothing.
            (3, rekey(&ids[1], forged)),
            (4, vote(&ids[2], 9, true)),
            (5, vote(&ids[3], 9, true)),
        ];
        let mut sets = founders_like(&ids);
        sets.replay(entries.iter().map(|(h, e)| (*h, e)));
        assert!(sets
            .keys_at(8)
            .contains(&(ids[0].party_id(), attackers.public().sign)));

        let entries = [
            (2, rotation(&ids[0], &attackers, &attackers)),
            (3, rekey(&ids[1], req)),
            (4, vote(&ids[2], 9, true)),
            (5, vote(&ids[3], 9, true)),
        ];
        let mut sets = founders_like(&ids);
        sets.replay(entries.iter().map(|(h, e)| (*h, e)));
        let at_8 = sets.keys_at(8);
        assert!(
            at_8.contains(&(ids[0].party_id(), mine.public().sign)),
            "the request's key"
        );
        assert!(!at_8.iter().any(|(_, k)| *k == attackers.public().sign));
        assert!(sets
            .keys_at(7)
            .contains(&(ids[0].party_id(), ids[0].public().sign)));
    }

    #[test]
    fn an_admission_holds_from_the_epoch_after_two_thirds_approve() {
        let (ids, mut sets) = founders(4);
        let new = Identity::generate(&mut OsRng);
        let entries = [
            (3, admit(&ids[0], &new, "m4", 1)),
            (4, vote(&ids[1], 1, true)),
            // 2 of 4 so far; a second vote by the same member counts once.
            (5, vote(&ids[1], 1, true)),
            (9, vote(&ids[2], 1, true)),
        ];
        sets.replay(entries.iter().map(|(h, e)| (*h, e)));
        assert_eq!(sets.changes.len(), 1);
        assert_eq!(
            sets.changes[0].epoch, 2,
            "approved in epoch 1, holds from 2"
        );
        assert_eq!(sets.keys_at(15).len(), 4);
        assert_eq!(sets.keys_at(16).len(), 5);
        assert!(sets
            .keys_at(16)
            .contains(&(new.party_id(), new.public().sign)));
    }

    #[test]
    fn forged_or_out_of_place_votes_change_nothing() {
        let (ids, mut sets) = founders(4);
        let new = Identity::generate(&mut OsRng);
        let outsider = Identity::generate(&mut OsRng);
        // A vote signed by someone else than the voter it names.
        let mut forged = vote(&ids[1], 1, true);
        forged.signatures = vote(&outsider, 1, true).signatures;
        // A candidate whose join request another key signed.
        let mut bad_join = admit(&ids[0], &new, "m5", 2);
        if let Entry::MemberProposed {
            change: MembershipChange::Admit(req),
            ..
        } = &mut bad_join.entry
        {
            req.signature = outsider.sign(JOIN_SIG_DOMAIN, b"something else");
        }
        let entries = [
            (1, admit(&ids[0], &new, "m4", 1)),
            (2, forged),
            (3, vote(&outsider, 1, true)),
            (4, admit(&outsider, &outsider, "m6", 3)),
            (5, bad_join),
            (6, vote(&ids[2], 2, true)),
            (7, vote(&ids[3], 2, true)),
        ];
        sets.replay(entries.iter().map(|(h, e)| (*h, e)));
        assert!(sets.changes.is_empty(), "{:?}", sets.changes);
        assert_eq!(sets.keys_at(100).len(), 4);
    }

    #[test]
    fn a_removal_and_a_refusal_follow_the_tally() {
        let (ids, mut sets) = founders(4);
        let remove = |by: &Identity, who: &Identity, pid: u8| {
            sign_entry(
                Entry::MemberProposed {
                    proposal_id: [pid; 32],
                    proposer: by.party_id(),
                    change: MembershipChange::Remove {
                        party: who.party_id(),
                    },
                },
                &[by],
            )
        };
        let new = Identity::generate(&mut OsRng);
        let entries = [
            // Two of four refuse: more than a third, refused.
            (1, admit(&ids[0], &new, "m4", 1)),
            (2, vote(&ids[1], 1, false)),
            (3, vote(&ids[2], 1, false)),
            // Votes on a decided proposal change nothing.
            (4, vote(&ids[3], 1, true)),
            (9, remove(&ids[0], &ids[3], 2)),
            (10, vote(&ids[1], 2, true)),
            (11, vote(&ids[2], 2, true)),
        ];
        sets.replay(entries.iter().map(|(h, e)| (*h, e)));
        assert_eq!(sets.changes.len(), 1, "{:?}", sets.changes);
        assert!(!sets.changes[0].admitted);
        assert_eq!(sets.keys_at(15).len(), 4);
        assert_eq!(sets.keys_at(16).len(), 3);
        assert!(!sets
            .keys_at(16)
            .contains(&(ids[3].party_id(), ids[3].public().sign)));
    }
}
