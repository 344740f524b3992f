//! The demo's stages, in the order a consortium lives them: enrol, consent,
//! furnish, score, ask, answer, check the answers, revoke, dispute, report.
//! Each stage is one method on `Stages`, which holds what they share.
use super::{
    submit_all, Counts, DemoMode, DemoOptions, MemberReport, Progress, QueryReport,
    RevocationReport, MEMBERS,
};
use crate::actions::{self, income_entry, new_id, record_recipients, AnswerJob};
use crate::dataset::{self, Mapped};
use crate::error::{ApiError, ErrorCode, Result};
use crate::home::Home;
use crate::reads::verify_answer;
use credence_crypto::proof::Predicate;
use credence_crypto::{Identity, PartyId};
use credence_ledger::clock::poll;
use credence_ledger::predicate::PredicateKind;
use credence_ledger::types::*;
use credence_ledger::{encode::sign_entry, read, Ledger};
use credence_node::{Network, Receipt};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Entries per submission while furnishing (and answering, locally).
const CHUNK: usize = 200;

/// What every stage uses: the consortium, its members (in `MEMBERS` order),
/// the borrowers, the clock of the run, and where progress and timings go.
pub(super) struct Stages<'a> {
    pub opts: &'a DemoOptions,
    pub net: Box<dyn Network>,
    pub ids: Vec<Identity>,
    pub subjects: Vec<Identity>,
    pub sp: Vec<PartyId>,
    pub now: u64,
    pub progress: &'a mut dyn FnMut(Progress),
    pub timings: Vec<(String, u64)>,
    pub lap_start: Instant,
}

impl Stages<'_> {
    fn agency(&self) -> &Identity {
        &self.ids[1]
    }

    fn home_lender(&self, i: usize) -> &Identity {
        home_lender(&self.ids, i)
    }

    fn view(&self, who: &Identity) -> Result<&Ledger> {
        Ok(self.net.view(&who.party_id())?)
    }

    fn submit(&mut self, entries: Vec<SignedEntry>, what: &str) -> Result<Vec<u64>> {
        submit_all(&mut *self.net, entries, what)
    }

    fn step(&mut self, stage: &'static str, done: u64, total: u64) {
        (self.progress)(Progress { stage, done, total });
    }

    /// Close a timed stage.
    pub fn lap(&mut self, name: &str) {
        self.timings.push((
            name.to_string(),
            self.lap_start.elapsed().as_millis() as u64,
        ));
        self.lap_start = Instant::now();
    }

    fn n(&self) -> u64 {
        self.subjects.len() as u64
    }

    pub fn enrol(&mut self) -> Result<()> {
        let enrol: Vec<SignedEntry> = (0..self.subjects.len())
            .map(|i| actions::enrol(&self.subjects[i], self.home_lender(i)))
            .collect();
        let n = self.n();
        self.step("enrol", 0, n);
        self.submit(enrol, "enrol")?;
        self.step("enrol", n, n);
        self.lap("enrol");
        Ok(())
    }

    /// Each borrower consents to its home bank (credit application) and to
    /// the agency (account review), for a year. Returns the home banks'
    /// consents, in borrower order.
    pub fn consent(&mut self) -> Result<Vec<Id>> {
        let year = self.now + 365 * 86_400;
        let mut consents = Vec::new();
        for (i, s) in self.subjects.iter().enumerate() {
            for (to, purpose) in [
                (self.home_lender(i), Purpose::CreditApplication),
                (self.agency(), Purpose::AccountReview),
            ] {
                consents.push(actions::grant_consent(
                    s,
                    &to.party_id(),
                    purpose,
                    AllowedPredicates::Any,
                    year,
                    false,
                    self.now,
                )?);
            }
        }
        let lender_consent: Vec<Id> = consents.iter().step_by(2).map(|(id, _)| *id).collect();
        self.submit(consents.into_iter().map(|(_, e)| e).collect(), "consent")?;
        let n = self.n();
        self.step("consent", n, n);
        self.lap("consent");
        Ok(lender_consent)
    }

    /// Each lender's accounts go through the lender's furnishing file
    /// (docs/furnish-csv.md, made in memory: a file of borrowers' data in
    /// clear must not be left in the demo folder) and the same use case as
    /// `credence furnish` (its parser, its journal in the lender's home, its
    /// waves); the borrowers' incomes, which the file does not carry, are
    /// furnished beside them. Returns each borrower's home loan record.
    pub fn furnish(&mut self, mapped: &[Mapped]) -> Result<Vec<Id>> {
        let n = self.subjects.len();
        let total: u64 = mapped.iter().map(|m| 2 + m.other.is_some() as u64).sum();
        self.step("furnish", 0, total);
        let mut home_record: Vec<Id> = vec![[0; 32]; n];
        let mut done = 0u64;
        for lender in [2usize, 3] {
            let (name, who) = (MEMBERS[lender].0, self.ids[lender].clone());
            // The file's rows, and the borrower whose home loan each row is.
            let mut rows = Vec::new();
            let mut home_of_row: Vec<Option<usize>> = Vec::new();
            for (i, m) in mapped.iter().enumerate() {
                if home_lender(&self.ids, i).party_id() == who.party_id() {
                    rows.push((self.sp[i], format!("LOAN-{:04}", i + 1), m.home.clone()));
                    home_of_row.push(Some(i));
                }
                if let Some(o) = m
                    .other
                    .as_ref()
                    .filter(|_| other_lender(&self.ids, i).party_id() == who.party_id())
                {
                    rows.push((self.sp[i], format!("CARD-{:04}", i + 1), o.clone()));
                    home_of_row.push(None);
                }
            }
            let text = crate::furnish::write(&rows).map_err(|e| {
                ApiError::new(
                    ErrorCode::Internal,
                    format!("writing {name}'s furnishing file: {e}"),
                )
            })?;
            let file = format!("{name}'s furnishing file");
            let (parsed, bad) = crate::furnish::parse(&text)
                .map_err(|e| ApiError::new(ErrorCode::Internal, format!("{file}: {e}")))?;
            let home = Home::new(self.opts.dir.join(name));
            let view = crate::surface::LedgerView::open(&home.ledger())?;
            let net = &mut *self.net;
            let progress = &mut *self.progress;
            let mut sink = |entries: &[SignedEntry]| -> Result<Vec<Option<Receipt>>> {
                Ok(net
                    .submit(entries.to_vec())?
                    .into_iter()
                    .map(Some)
                    .collect())
            };
            let report = crate::furnish::furnish(
                &home.dir,
                &who,
                &mut sink,
                &view,
                parsed,
                bad,
                false,
                false,
                |d, _| {
                    progress(Progress {
                        stage: "furnish",
                        done: done + d as u64,
                        total,
                    })
                },
            )?;
            if let Some(e) = report.left_out.first() {
                return Err(ApiError::new(ErrorCode::Internal, format!("{file}: {e}")));
            }
            for (line, id) in &report.records {
                if let Some(Some(i)) = home_of_row.get((*line - 2) as usize) {
                    home_record[*i] = *id;
                }
            }
            done += rows.len() as u64;
        }
        if let Some(i) = home_record.iter().position(|r| *r == [0; 32]) {
            return Err(ApiError::new(
                ErrorCode::Internal,
                format!("borrower {}'s home loan was not furnished", i + 1),
            ));
        }
        // Incomes, from each borrower's home lender.
        let view = self.view(&self.ids[0])?;
        let recips: Vec<_> = (0..n)
            .map(|i| record_recipients(view, self.home_lender(i), &self.sp[i], self.now))
            .collect::<Result<_>>()?;
        let (ids, sps) = (self.ids.clone(), self.sp.clone());
        for start in (0..n).step_by(CHUNK) {
            let end = (start + CHUNK).min(n);
            let entries: Vec<SignedEntry> = (start..end)
                .into_par_iter()
                .map(|i| {
                    income_entry(
                        &recips[i],
                        home_lender(&ids, i),
                        &sps[i],
                        mapped[i].monthly_income,
                        "derived from instalment rate",
                    )
                    .map(|(_, e)| e)
                })
                .collect::<Result<_>>()?;
            done += entries.len() as u64;
            self.submit(entries, "furnish")?;
            self.step("furnish", done, total);
        }
        self.lap("furnish");
        Ok(home_record)
    }

    /// The agency opens what was sealed to it and commits one score per
    /// borrower for `period`.
    pub fn score(&mut self, period: u32) -> Result<()> {
        let n = self.n();
        self.step("score", 0, n);
        let agency_view = self.view(self.agency())?;
        let jobs: Vec<_> = self
            .sp
            .iter()
            .map(|s| actions::prepare_score(agency_view, self.agency(), s, period))
            .collect::<Result<_>>()?;
        let agency = self.agency();
        let entries: Vec<SignedEntry> = jobs
            .par_iter()
            .map(|j| j.build(agency).map(|(_, e)| e))
            .collect::<Result<_>>()?;
        self.submit(entries, "score")?;
        self.step("score", n, n);
        self.lap("score");
        Ok(())
    }

    /// Each borrower's home bank asks one question, rotating through every
    /// kind in the predicate table.
    pub fn ask(&mut self, home_record: &[Id]) -> Result<()> {
        let mut asks = Vec::new();
        for (i, record) in home_record.iter().enumerate() {
            let lender = self.home_lender(i);
            let kind = PredicateKind::ALL[i % PredicateKind::ALL.len()];
            let p = kind.example();
            let target = kind.targeted().then_some(*record);
            let lv = self.view(lender)?;
            let agency = self.agency().party_id();
            asks.push(actions::ask(lv, lender, &self.sp[i], p, &agency, target, self.now)?.1);
        }
        let n = self.n();
        self.step("ask", 0, n);
        self.submit(asks, "ask")?;
        self.step("ask", n, n);
        self.lap("ask");
        Ok(())
    }

    /// The agency proves each answer; every member checks each proof as it
    /// applies the block. With member processes the agency's node answers by
    /// itself (`node run --auto-answer`) and this waits for it, bounded.
    pub fn answer(&mut self) -> Result<()> {
        let n = self.n();
        if self.opts.mode == DemoMode::Local {
            let agency_view = self.view(self.agency())?;
            let open = read::queries(
                agency_view,
                &read::QueryFilter {
                    responder: Some(self.agency().party_id()),
                    unanswered_only: true,
                    ..Default::default()
                },
            )?;
            let jobs: Vec<AnswerJob> = open
                .iter()
                .map(|q| {
                    actions::prepare_answer(agency_view, self.agency(), &q.query_id, self.net.now())
                })
                .collect::<Result<_>>()?;
            let mut done = 0u64;
            let agency = self.agency().clone();
            for batch in jobs.chunks(CHUNK) {
                let entries: Vec<SignedEntry> = batch
                    .par_iter()
                    .map(|j| j.prove(&agency))
                    .collect::<Result<_>>()?;
                done += entries.len() as u64;
                self.submit(entries, "answer")?;
                self.step("answer", done, jobs.len() as u64);
            }
        } else {
            let mut answered = 0;
            let done = poll(
                Duration::from_secs(30 + n),
                Duration::from_millis(100),
                || {
                    let heads: Vec<u64> = self
                        .ids
                        .iter()
                        .map(|i| Ok(self.view(i)?.head()?.map(|h| h.height).unwrap_or(0)))
                        .collect::<Result<_>>()?;
                    answered = read::counts(self.view(&self.ids[2])?)?.answers;
                    self.step("answer", answered, n);
                    Ok::<_, ApiError>(
                        (answered >= n && heads.windows(2).all(|w| w[0] == w[1])).then_some(()),
                    )
                },
            )?;
            if done.is_none() {
                return Err(ApiError::new(
                    ErrorCode::Internal,
                    format!("the agency answered {answered} of {n} queries in time"),
                ));
            }
        }
        self.lap("answer");
        Ok(())
    }

    /// Each asking bank checks the proofs of its answers against its own ledger.
    pub fn verify_answers(&mut self) -> Result<Vec<QueryReport>> {
        let mut queries = Vec::new();
        for (name, lender) in [(MEMBERS[2].0, &self.ids[2]), (MEMBERS[3].0, &self.ids[3])] {
            let lv = self.view(lender)?;
            let mine = read::queries(
                lv,
                &read::QueryFilter {
                    requester: Some(lender.party_id()),
                    ..Default::default()
                },
            )?;
            for q in mine {
                let v = verify_answer(lv, &q.query_id)?;
                queries.push(QueryReport {
                    query_id: hex::encode(q.query_id),
                    subject: q.subject.to_hex(),
                    requester: name.to_string(),
                    purpose: q.purpose,
                    predicate: q.predicate,
                    answer: v.holds,
                    verified: v.verified,
                });
            }
        }
        let k = queries.len() as u64;
        self.step("verify answers", k, k);
        self.lap("verify answers");
        Ok(queries)
    }

    /// Borrower 1 withdraws bank-a's consent: the bank's next question is
    /// refused by its own client and, forced on, by the ledger.
    pub fn revocation(&mut self, consent: &Id) -> Result<RevocationReport> {
        let (bank_a, s0) = (self.ids[2].clone(), self.subjects[0].clone());
        let revoke = actions::revoke_consent(self.view(&bank_a)?, &s0, consent)?;
        self.submit(vec![revoke], "revoke")?;
        let agency = self.agency().party_id();
        let refused_by_client = matches!(
            actions::ask(
                self.view(&bank_a)?,
                &bank_a,
                &self.sp[0],
                Predicate::ScoreAtLeast { min: 650 },
                &agency,
                None,
                self.net.now()
            ),
            Err(ApiError {
                code: ErrorCode::NoConsent,
                ..
            })
        );
        let forced = sign_entry(
            Entry::QueryAsked(QueryAsked {
                query_id: new_id(),
                requester: bank_a.party_id(),
                subject: self.sp[0],
                consent_id: *consent,
                predicate: Predicate::ScoreAtLeast { min: 650 },
                responder: agency,
                target: None,
                operator: None,
            }),
            &[&bank_a],
        );
        let (refused_by_ledger, ledger_reason) = match self.net.submit(vec![forced])?.remove(0) {
            Receipt::Rejected(rej) => (true, rej.to_string()),
            Receipt::Final { .. } => (false, "accepted".into()),
        };
        Ok(RevocationReport {
            subject: self.sp[0].to_hex(),
            consent_id: hex::encode(consent),
            refused_by_client,
            refused_by_ledger,
            ledger_reason,
        })
    }

    /// A dispute (FCRA §611): borrower 2 disputes a balance at bank-b, which
    /// corrects it.
    pub fn dispute(&mut self, home_record: &[Id], mapped: &[Mapped]) -> Result<()> {
        if self.subjects.len() > 1 {
            let (bank_b, s1) = (self.ids[3].clone(), self.subjects[1].clone());
            let (dispute_id, e) = actions::open_dispute(
                self.view(&bank_b)?,
                &s1,
                &home_record[1],
                DisputeReason::WrongBalance,
            )?;
            self.submit(vec![e], "dispute")?;
            let mut corrected = mapped[1].home.clone();
            corrected.balance = corrected
                .balance
                .saturating_sub(corrected.scheduled_payment);
            let (fix_id, fix) = actions::furnish_tradeline(
                self.view(&bank_b)?,
                &bank_b,
                &self.sp[1],
                &corrected,
                Some(home_record[1]),
                self.net.now(),
            )?;
            let resolve = actions::resolve_dispute(
                &bank_b,
                &dispute_id,
                DisputeOutcome::Corrected { correction: fix_id },
            );
            self.submit(vec![fix, resolve], "dispute resolution")?;
        }
        self.lap("revocation and dispute");
        Ok(())
    }

    /// Members apply each final block on their own schedule (and the
    /// agency's node may still be ordering an answer): let them settle on
    /// one head before reporting, bounded.
    pub fn settle(&self) -> Result<()> {
        // Unequal heads after the bound are reported, not an error.
        poll(Duration::from_secs(30), Duration::from_millis(50), || {
            let heads: Vec<Option<[u8; 32]>> = self
                .ids
                .iter()
                .map(|i| Ok(self.view(i)?.head()?.map(|h| h.hash)))
                .collect::<Result<_>>()?;
            Ok::<_, ApiError>(heads.windows(2).all(|w| w[0] == w[1]).then_some(()))
        })?;
        Ok(())
    }

    /// Every member's head and files, the regulator's counts, and whether
    /// all heads are equal; each file re-verified from genesis if asked.
    pub fn members_report(&mut self) -> Result<(Vec<MemberReport>, Counts, bool)> {
        let mut members = Vec::new();
        let mut heads = Vec::new();
        for (i, id) in self.ids.iter().enumerate() {
            let head = self.view(id)?.head()?.ok_or_else(|| {
                ApiError::new(ErrorCode::Internal, "a member has an empty ledger")
            })?;
            heads.push(head.hash);
            let home = Home::new(self.opts.dir.join(MEMBERS[i].0));
            members.push(MemberReport {
                name: MEMBERS[i].0.to_string(),
                role: MEMBERS[i].1.as_str().to_string(),
                party: id.party_id().to_hex(),
                home: home.dir.display().to_string(),
                database: home.ledger().display().to_string(),
                keystore: home.keystore().display().to_string(),
                head_height: head.height,
                head_hash: hex::encode(head.hash),
                file_verified: None,
            });
        }
        let cnt = read::counts(self.view(&self.ids[0])?)?;
        let counts = Counts {
            blocks: cnt.blocks,
            subjects: cnt.subjects,
            records: cnt.records,
            consents: cnt.consents,
            revoked_consents: cnt.revoked_consents,
            scores: cnt.scores,
            queries: cnt.queries,
            answers: cnt.answers,
            disputes: cnt.disputes,
        };
        if self.opts.verify_files {
            let total = members.len() as u64;
            self.step("verify ledgers", 0, total);
            for (i, m) in members.iter_mut().enumerate() {
                let file = std::path::Path::new(&m.database);
                m.file_verified =
                    Some(credence_node::remote::verify_ledger(file, |_, _| {}).is_ok());
                self.step("verify ledgers", i as u64 + 1, total);
            }
            self.lap("verify ledger files");
        }
        Ok((members, counts, heads.windows(2).all(|w| w[0] == w[1])))
    }
}

/// Each borrower banks with one lender (its home bank) and may hold an
/// account at the other; `ids` in `MEMBERS` order.
fn home_lender(ids: &[Identity], i: usize) -> &Identity {
    &ids[if i.is_multiple_of(2) { 2 } else { 3 }]
}

fn other_lender(ids: &[Identity], i: usize) -> &Identity {
    &ids[if i.is_multiple_of(2) { 3 } else { 2 }]
}

/// The borrowers' records as the demo furnishes them: one row of the data
/// each, mapped for `today`.
pub(super) fn mapped(borrowers: &[dataset::Borrower], today: &str) -> Vec<Mapped> {
    borrowers
        .iter()
        .enumerate()
        .map(|(i, b)| dataset::map(b, i as u64, today))
        .collect()
}
