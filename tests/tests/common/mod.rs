//! A small consortium in a temporary folder, with a clock the test controls.
#![allow(dead_code)]
use credence_api::actions::{self, TradelineInput};
use credence_crypto::{Identity, PartyId, PublicIdentity};
use credence_ledger::clock::{Clock, ManualClock};
use credence_ledger::encode::sign_entry;
use credence_ledger::types::*;
use credence_ledger::{read, Ledger, Rejection, SignedEntry};
use credence_node::{LocalConsortium, Node, Receipt};
use rand::rngs::OsRng;
use std::sync::Arc;

pub const T0: u64 = 1_800_000_000;
pub const DAY: u64 = 86_400;
/// Blocks per epoch in the test consortium (short, to cross boundaries).
pub const EPOCH: u64 = 8;

pub struct World {
    pub c: LocalConsortium,
    pub regulator: Identity,
    pub agency: Identity,
    pub bank_a: Identity,
    pub bank_b: Identity,
    pub s1: Identity,
    pub s2: Identity,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    /// s1's consent to bank_a (credit application, any predicate, 30 days).
    pub consent_a: Id,
    pub tradeline: Id,
    pub income: Id,
}

pub fn tradeline(balance: u64, limit: u64, payment: u64, serious: bool) -> TradelineInput {
    TradelineInput {
        account_type: "instalment".into(),
        account_status: if serious { "80".into() } else { "11".into() },
        date_opened: "2024-01-01".into(),
        date_of_account_information: "2026-11-01".into(),
        date_of_first_delinquency: None,
        payment_history: "0".repeat(24),
        attributes: vec![("purpose".into(), "radio/television".into())],
        balance,
        credit_limit: limit,
        past_due: 0,
        scheduled_payment: payment,
        days_past_due: if serious { 90 } else { 0 },
        serious_delinquency: serious,
    }
}

impl World {
    pub fn now(&self) -> u64 {
        self.clock.now()
    }
    pub fn advance(&self, secs: u64) {
        self.clock.advance(secs);
    }
    /// Height of the last block (the test sequencer makes one per submit).
    pub fn height(&self) -> u64 {
        self.view(&self.regulator).head().unwrap().unwrap().height
    }
    /// Submit filler entries (new borrowers enrolled by bank-a) until the
    /// next block is the first of `epoch`.
    pub fn run_to_epoch(&mut self, epoch: u64) {
        let lender = self.bank_a.clone();
        self.run_to_epoch_by(epoch, &lender);
    }
    /// The same, the borrowers enrolled by `lender`.
    pub fn run_to_epoch_by(&mut self, epoch: u64, lender: &Identity) {
        while self.height() + 1 < epoch * EPOCH {
            let s = Identity::generate(&mut OsRng);
            self.ok(actions::enrol(&s, lender));
        }
    }
    /// Every member's file verifies from genesis.
    pub fn verify_all(&self) {
        for n in ["regulator", "agency", "bank-a", "bank-b"] {
            let path = self.dir.path().join(format!("{n}.db"));
            credence_ledger::verify::verify_file(&path, |_, _| {})
                .unwrap_or_else(|e| panic!("{n}'s file: {e}"));
        }
    }
    /// The key `party` (a member) signs with in `epoch`.
    pub fn member_key_at(&self, party: &PartyId, epoch: u64) -> PublicIdentity {
        read::members_at_epoch(self.view(&self.regulator), epoch)
            .unwrap()
            .into_iter()
            .find(|m| m.member.party == *party)
            .expect("a member in that epoch")
            .member
            .key
    }
    pub fn view(&self, who: &Identity) -> &Ledger {
        self.c.node(&who.party_id()).expect("a member").ledger()
    }
    pub fn submit(&mut self, e: SignedEntry) -> Result<u64, Rejection> {
        self.c
            .submit(vec![e])
            .expect("delivery")
            .remove(0)
            .into_result()
            .map(|(h, _)| h)
    }
    pub fn ok(&mut self, e: SignedEntry) -> u64 {
        self.submit(e).expect("entry accepted")
    }
    /// `subject` consents to `grantee` for account review, for a day from
    /// now, to the questions `allowed`; the consent's id.
    pub fn grant_for_a_day(
        &mut self,
        subject: &Identity,
        grantee: &PartyId,
        allowed: AllowedPredicates,
    ) -> Id {
        let now = self.now();
        let (id, e) = actions::grant_consent(
            subject,
            grantee,
            Purpose::AccountReview,
            allowed,
            now + DAY,
            false,
            now,
        )
        .unwrap();
        self.ok(e);
        id
    }
    pub fn rejected(&mut self, e: SignedEntry) -> Rejection {
        let head = self.view(&self.regulator.clone()).head().unwrap();
        let r = self.submit(e).expect_err("entry must be rejected");
        // A rejected entry changes nothing.
        assert_eq!(self.view(&self.regulator.clone()).head().unwrap(), head);
        r
    }
    pub fn ask(
        &mut self,
        asker: &Identity,
        subject: &PartyId,
        p: credence_crypto::proof::Predicate,
        target: Option<Id>,
    ) -> Id {
        let (qid, e) = actions::ask(
            self.view(asker),
            asker,
            subject,
            p,
            &self.agency.party_id(),
            target,
            self.now(),
        )
        .expect("ask");
        self.ok(e);
        qid
    }
    pub fn answer(&mut self, qid: &Id) -> SignedEntry {
        let now = self.now();
        actions::answer(
            self.view(&self.agency.clone()),
            &self.agency.clone(),
            qid,
            now,
        )
        .expect("answer")
    }
}

/// Genesis with four members; s1 enrolled by bank-a with consents to bank-a
/// and the agency, a tradeline, an income and a score; s2 enrolled, consent
/// to the agency only.
pub fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<Identity> = (0..4).map(|_| Identity::generate(&mut OsRng)).collect();
    let names = ["regulator", "agency", "bank-a", "bank-b"];
    let roles = [Role::Regulator, Role::Agency, Role::Lender, Role::Lender];
    let nodes = ids
        .iter()
        .zip(names)
        .map(|(id, n)| {
            Node::new(
                n,
                id.clone(),
                Ledger::open(&dir.path().join(format!("{n}.db"))).unwrap(),
            )
        })
        .collect();
    let mut c = LocalConsortium::new(nodes);
    let clock = Arc::new(ManualClock::new(T0));
    c.set_clock(clock.clone());
    let genesis = Genesis {
        consortium: "test".into(),
        created_at: T0,
        members: ids
            .iter()
            .zip(names)
            .zip(roles)
            .map(|((i, n), r)| Member {
                name: n.into(),
                role: r,
                key: i.public(),
            })
            .collect(),
        policy: Policy {
            epoch_length: EPOCH,
            ..Policy::default()
        },
    };
    let signers: Vec<&Identity> = ids.iter().collect();
    let r = c
        .submit(vec![sign_entry(Entry::Genesis(genesis), &signers)])
        .unwrap();
    assert!(matches!(r[0], Receipt::Final { height: 0, .. }), "{r:?}");
    let (regulator, agency, bank_a, bank_b) = (
        ids[0].clone(),
        ids[1].clone(),
        ids[2].clone(),
        ids[3].clone(),
    );
    let s1 = Identity::generate(&mut OsRng);
    let s2 = Identity::generate(&mut OsRng);
    let mut w = World {
        c,
        regulator,
        agency,
        bank_a,
        bank_b,
        s1,
        s2,
        clock,
        dir,
        consent_a: [0; 32],
        tradeline: [0; 32],
        income: [0; 32],
    };
    let (s1, s2, a, ag) = (
        w.s1.clone(),
        w.s2.clone(),
        w.bank_a.clone(),
        w.agency.clone(),
    );
    w.ok(actions::enrol(&s1, &a));
    w.ok(actions::enrol(&s2, &a));
    let now = w.now();
    let (cid, e) = actions::grant_consent(
        &s1,
        &a.party_id(),
        Purpose::CreditApplication,
        AllowedPredicates::Any,
        now + 30 * DAY,
        false,
        now,
    )
    .unwrap();
    w.ok(e);
    w.consent_a = cid;
    for s in [&s1, &s2] {
        let (_, e) = actions::grant_consent(
            s,
            &ag.party_id(),
            Purpose::AccountReview,
            AllowedPredicates::Any,
            now + 365 * DAY,
            false,
            now,
        )
        .unwrap();
        w.ok(e);
    }
    let (tid, e) = actions::furnish_tradeline(
        w.view(&a),
        &a,
        &s1.party_id(),
        &tradeline(300_000, 1_000_000, 20_000, false),
        None,
        now,
    )
    .unwrap();
    w.ok(e);
    w.tradeline = tid;
    let (iid, e) =
        actions::furnish_income(w.view(&a), &a, &s1.party_id(), 400_000, "payslip", now).unwrap();
    w.ok(e);
    w.income = iid;
    let job = actions::prepare_score(w.view(&ag), &ag, &s1.party_id(), 202611).unwrap();
    let (_, e) = job.build(&ag).unwrap();
    w.ok(e);
    w
}
