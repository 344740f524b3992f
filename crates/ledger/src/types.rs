//! The ledger's domain types: entries, blocks, and what they refer to.
//!
//! Everything here is encoded canonically with `postcard` (see `encode`); ids
//! are 32 random or hashed bytes chosen by the entry's author and checked for
//! uniqueness by the rules.
use credence_crypto::proof::{Commitment, Predicate, PredicateProof, ValidityProof};
use credence_crypto::seal::{SealedRecord, WrappedKey};
use credence_crypto::{PartyId, PublicIdentity, Signature};
use serde::{Deserialize, Serialize};

pub use crate::status::{ComplianceCode, ProposalStatus, RecordStatus};

/// A 32-byte identifier (record, consent, query, score, dispute).
pub type Id = [u8; 32];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Agency,
    Lender,
    Regulator,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Agency => "agency",
            Role::Lender => "lender",
            Role::Regulator => "regulator",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "agency" => Some(Role::Agency),
            "lender" | "bank" => Some(Role::Lender),
            "regulator" => Some(Role::Regulator),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub role: Role,
    pub key: PublicIdentity,
}

/// Blocks per epoch unless the genesis says otherwise.
pub const DEFAULT_EPOCH_LENGTH: u64 = 64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Days a furnisher has to resolve a dispute (FCRA §611: 30).
    pub dispute_days: u32,
    /// Most entries a block may carry.
    pub max_block_entries: u32,
    /// Blocks per consensus epoch; a membership change takes effect at the
    /// first block of the epoch after the one that approved it.
    pub epoch_length: u64,
    /// Days a record is kept from its block; after that any member may
    /// erase its sealed content (FCRA §605: seven years for most adverse
    /// items).
    pub retention_days: u32,
}

/// Seven years of days, leap days included (FCRA §605's limit).
pub const DEFAULT_RETENTION_DAYS: u32 = 2557;

impl Default for Policy {
    fn default() -> Self {
        Policy {
            dispute_days: 30,
            max_block_entries: 4096,
            epoch_length: DEFAULT_EPOCH_LENGTH,
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    pub consortium: String,
    pub created_at: u64,
    pub members: Vec<Member>,
    pub policy: Policy,
}

/// What a record describes; fixes how many fields it commits and in which order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecordKind {
    /// A Metro 2-like account update: fields in `tradeline::*` order.
    Tradeline,
    /// A verified monthly income: one field.
    Income,
}

/// Committed field positions of a tradeline.
pub mod tradeline {
    pub const BALANCE: usize = 0;
    pub const CREDIT_LIMIT: usize = 1;
    pub const PAST_DUE: usize = 2;
    pub const SCHEDULED_PAYMENT: usize = 3;
    pub const DAYS_PAST_DUE: usize = 4;
    pub const SERIOUS_DELINQUENCY: usize = 5;
    pub const FIELDS: usize = 6;
}

/// Committed field positions of an income record.
pub mod income {
    pub const MONTHLY_INCOME: usize = 0;
    pub const FIELDS: usize = 1;
}

impl RecordKind {
    pub fn field_count(&self) -> usize {
        match self {
            RecordKind::Tradeline => tradeline::FIELDS,
            RecordKind::Income => income::FIELDS,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordKind::Tradeline => "tradeline",
            RecordKind::Income => "income",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFurnished {
    pub record_id: Id,
    pub subject: PartyId,
    pub furnisher: PartyId,
    pub kind: RecordKind,
    /// The record this one replaces (same subject, furnisher and kind).
    pub corrects: Option<Id>,
    pub commitments: Vec<Commitment>,
    /// All commitments in [0, 2^32): makes sums over records sound.
    pub validity: ValidityProof,
    pub sealed: SealedRecord,
}

/// FCRA §604 permissible purposes (a closed list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Purpose {
    CreditApplication,
    AccountReview,
    Collection,
    /// Needs the subject's explicit consent (`Consent::explicit`).
    Employment,
    InsuranceUnderwriting,
    ConsumerRequest,
    CourtOrderOrRegulator,
}

impl Purpose {
    pub const ALL: [Purpose; 7] = [
        Purpose::CreditApplication,
        Purpose::AccountReview,
        Purpose::Collection,
        Purpose::Employment,
        Purpose::InsuranceUnderwriting,
        Purpose::ConsumerRequest,
        Purpose::CourtOrderOrRegulator,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Purpose::CreditApplication => "credit-application",
            Purpose::AccountReview => "account-review",
            Purpose::Collection => "collection",
            Purpose::Employment => "employment",
            Purpose::InsuranceUnderwriting => "insurance-underwriting",
            Purpose::ConsumerRequest => "consumer-request",
            Purpose::CourtOrderOrRegulator => "court-order-or-regulator",
        }
    }
    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// Which questions a consent allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AllowedPredicates {
    Any,
    /// Predicate kinds by tag (`PredicateKind::tag`).
    Only(Vec<u8>),
}

impl AllowedPredicates {
    pub fn only(kinds: &[crate::predicate::PredicateKind]) -> Self {
        AllowedPredicates::Only(kinds.iter().map(|k| k.tag()).collect())
    }

    /// The kinds allowed, in `PredicateKind::ALL` order; `None` for any.
    pub fn kinds(&self) -> Option<Vec<crate::predicate::PredicateKind>> {
        match self {
            AllowedPredicates::Any => None,
            AllowedPredicates::Only(tags) => Some(
                crate::predicate::PredicateKind::ALL
                    .into_iter()
                    .filter(|k| tags.contains(&k.tag()))
                    .collect(),
            ),
        }
    }

    pub fn allows(&self, p: &Predicate) -> bool {
        match self {
            AllowedPredicates::Any => true,
            AllowedPredicates::Only(tags) => {
                tags.contains(&crate::predicate::PredicateKind::of(p).tag())
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub consent_id: Id,
    pub subject: PartyId,
    pub grantee: PartyId,
    pub purpose: Purpose,
    pub predicates: AllowedPredicates,
    /// Unix seconds; the consent is live while the block time is before it.
    pub expires_at: u64,
    /// The subject explicitly agreed (required for employment).
    pub explicit: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryAsked {
    pub query_id: Id,
    pub requester: PartyId,
    pub subject: PartyId,
    pub consent_id: Id,
    pub predicate: Predicate,
    /// The agency asked to answer.
    pub responder: PartyId,
    /// For `BalanceAtMost`: the record whose balance is asked about.
    pub target: Option<Id>,
    /// The member's staff key (an operator registered at the member's node)
    /// for whom the member signed this question; `None` when the member's own
    /// key asked. The regulator's audit trail names that person.
    pub operator: Option<PartyId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryAnswered {
    pub query_id: Id,
    pub responder: PartyId,
    /// The ledger objects the proof is over (a score id or record ids, in the
    /// order the rules derive them); must equal what the rules derive now.
    pub inputs: Vec<Id>,
    pub proof: PredicateProof,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreCommitted {
    pub score_id: Id,
    pub agency: PartyId,
    pub subject: PartyId,
    /// e.g. 202611 for November 2026: one score per subject per period.
    pub period: u32,
    pub commitment: Commitment,
    pub validity: ValidityProof,
    /// The score and its opening, sealed to the agency and the subject.
    pub sealed: SealedRecord,
}

/// FCRA §611 dispute reasons (closed list, no free text on the ledger).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisputeReason {
    NotMine,
    WrongBalance,
    WrongStatus,
    AlreadyPaid,
    Other,
}

impl DisputeReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            DisputeReason::NotMine => "not-mine",
            DisputeReason::WrongBalance => "wrong-balance",
            DisputeReason::WrongStatus => "wrong-status",
            DisputeReason::AlreadyPaid => "already-paid",
            DisputeReason::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::NotMine,
            Self::WrongBalance,
            Self::WrongStatus,
            Self::AlreadyPaid,
            Self::Other,
        ]
        .into_iter()
        .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisputeOutcome {
    /// The furnisher checked and the record stands (compliance XH).
    Verified,
    /// A correcting record (which `corrects` the disputed one) was furnished.
    Corrected { correction: Id },
    /// The record is withdrawn.
    Deleted,
}

impl DisputeOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            DisputeOutcome::Verified => "verified",
            DisputeOutcome::Corrected { .. } => "corrected",
            DisputeOutcome::Deleted => "deleted",
        }
    }
}

/// Why a record's sealed content is erased.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErasureGrounds {
    /// The record is older than the genesis policy's `retention_days`; any
    /// member may submit the erasure.
    Retention,
    /// A lawful request (GDPR Art. 17) the regulator approved: only the
    /// regulator submits it.
    LawfulRequest,
}

impl ErasureGrounds {
    pub fn as_str(&self) -> &'static str {
        match self {
            ErasureGrounds::Retention => "retention",
            ErasureGrounds::LawfulRequest => "lawful-request",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Retention, Self::LawfulRequest]
            .into_iter()
            .find(|g| g.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// What a membership proposal would change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipChange {
    /// Admit the candidate of a join request (signed by the candidate's key,
    /// so nobody is admitted under a key they do not hold).
    Admit(JoinRequest),
    Remove {
        party: PartyId,
    },
    /// A member's key leaked as of `compromised_since`: 2/3 of the members
    /// replace it with the new key of the request (signed by that key, which
    /// the member's own people generated), from the next epoch. Appended, so
    /// the earlier variants keep their tags.
    Rekey(RekeyRequest),
}

/// A member's request for a new key after its key leaked, signed by the new
/// key (see `encode::rekey_request_bytes`); any member in force proposes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RekeyRequest {
    pub consortium: String,
    pub party: PartyId,
    pub new_key: PublicIdentity,
    /// Unix seconds: from when the old key may have signed for an attacker.
    pub compromised_since: u64,
    pub signature: Signature,
}

/// A candidate's request to join: who, in which role, where its node listens
/// for other members, signed by the candidate (see `encode::join_request_bytes`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub consortium: String,
    pub member: Member,
    /// The candidate node's p2p address (host:port).
    pub address: String,
    pub signature: Signature,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    Genesis(Genesis),
    /// A current member proposes admitting or removing a member; counts as
    /// the proposer's approving vote.
    MemberProposed {
        proposal_id: Id,
        proposer: PartyId,
        change: MembershipChange,
    },
    MemberVote {
        proposal_id: Id,
        voter: PartyId,
        approve: bool,
    },
    /// A borrower's key handed over to a new key, signed by both. With
    /// `compromised_since`, the holder also declares the old key leaked as of
    /// that time (unix seconds): the consents it granted from then on are
    /// revoked, the entries it signed from then on are listed, and every
    /// record sealed to it is listed until it is re-sealed
    /// (`RecordResealed`).
    KeyRotated {
        party: PartyId,
        new_key: PublicIdentity,
        compromised_since: Option<u64>,
    },
    /// Signed by the subject, then by the enrolling lender.
    SubjectEnrolled {
        subject: PublicIdentity,
        lender: PartyId,
    },
    RecordFurnished(RecordFurnished),
    ConsentGranted(Consent),
    ConsentRevoked {
        consent_id: Id,
        subject: PartyId,
    },
    /// An existing record's content key wrapped for a newly consented member.
    RecordShared {
        record_id: Id,
        sharer: PartyId,
        recipient: PartyId,
        wrap: WrappedKey,
    },
    QueryAsked(QueryAsked),
    QueryAnswered(QueryAnswered),
    ScoreCommitted(ScoreCommitted),
    DisputeOpened {
        dispute_id: Id,
        subject: PartyId,
        record_id: Id,
        reason: DisputeReason,
    },
    DisputeResolved {
        dispute_id: Id,
        furnisher: PartyId,
        outcome: DisputeOutcome,
    },
    /// A member that can open a record found that its sealed content does
    /// not open the record's commitments (members cannot see inside, so the
    /// record was accepted). `evidence` is the record's content key wrapped
    /// for the regulator's key: the regulator alone can check the claim, and
    /// no other member learns the borrower's data.
    RecordContested {
        record_id: Id,
        contester: PartyId,
        regulator: PartyId,
        evidence: WrappedKey,
    },
    /// The regulator opened a contested record with the evidence and found
    /// its content unusable (from this block on the record is left out of
    /// every answer and score) or sound.
    RecordJudged {
        record_id: Id,
        regulator: PartyId,
        unusable: bool,
    },
    /// The subject freezes their file (a security freeze, FCRA §605A):
    /// while it is frozen no new question about them is accepted, whatever
    /// their consents; `frozen: false` lifts it. Signed by the subject;
    /// `change_id` is fresh for each change.
    FileFrozen {
        change_id: Id,
        subject: PartyId,
        frozen: bool,
    },
    /// A record's sealed content is erased at every member: from this block
    /// on the record is left out of every answer, and each member replaces
    /// the stored ciphertext with its digest (what the entry's signatures and
    /// the block's Merkle root commit to), so the chain still verifies.
    /// Signed by `by`, a member (the regulator, for a lawful request).
    RecordErased {
        record_id: Id,
        subject: PartyId,
        by: PartyId,
        grounds: ErasureGrounds,
    },
    /// A record's content sealed again under a fresh content key, by its
    /// furnisher or its subject (after the subject's key was declared
    /// compromised): from this block the record opens from this seal, and
    /// only its recipients can open it.
    RecordResealed {
        record_id: Id,
        subject: PartyId,
        by: PartyId,
        sealed: SealedRecord,
    },
}

impl Entry {
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Genesis(_) => "genesis",
            Entry::MemberProposed { .. } => "member-proposed",
            Entry::MemberVote { .. } => "member-vote",
            Entry::KeyRotated { .. } => "key-rotated",
            Entry::SubjectEnrolled { .. } => "subject-enrolled",
            Entry::RecordFurnished(_) => "record-furnished",
            Entry::ConsentGranted(_) => "consent-granted",
            Entry::ConsentRevoked { .. } => "consent-revoked",
            Entry::RecordShared { .. } => "record-shared",
            Entry::QueryAsked(_) => "query-asked",
            Entry::QueryAnswered(_) => "query-answered",
            Entry::ScoreCommitted(_) => "score-committed",
            Entry::DisputeOpened { .. } => "dispute-opened",
            Entry::DisputeResolved { .. } => "dispute-resolved",
            Entry::RecordContested { .. } => "record-contested",
            Entry::RecordJudged { .. } => "record-judged",
            Entry::FileFrozen { .. } => "file-frozen",
            Entry::RecordErased { .. } => "record-erased",
            Entry::RecordResealed { .. } => "record-resealed",
        }
    }

    /// The subject an entry concerns, for the access log and audit.
    pub fn subject(&self) -> Option<PartyId> {
        match self {
            Entry::SubjectEnrolled { subject, .. } => Some(subject.party_id()),
            Entry::RecordFurnished(r) => Some(r.subject),
            Entry::ConsentGranted(c) => Some(c.subject),
            Entry::ConsentRevoked { subject, .. } => Some(*subject),
            Entry::QueryAsked(q) => Some(q.subject),
            Entry::ScoreCommitted(s) => Some(s.subject),
            Entry::DisputeOpened { subject, .. } => Some(*subject),
            Entry::FileFrozen { subject, .. } => Some(*subject),
            Entry::RecordErased { subject, .. } => Some(*subject),
            Entry::RecordResealed { subject, .. } => Some(*subject),
            Entry::KeyRotated { party, .. } => Some(*party),
            _ => None,
        }
    }
}

/// An entry with its signatures, in the order the rules require them
/// (`rules::required_signers`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEntry {
    pub entry: Entry,
    pub signatures: Vec<Signature>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    pub height: u64,
    pub parent: [u8; 32],
    /// Unix seconds, never before the parent's.
    pub timestamp: u64,
    pub proposer: PartyId,
    /// Hash of the encoded entries.
    pub entries_root: [u8; 32],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub header: BlockHeader,
    pub entries: Vec<SignedEntry>,
}

/// Evidence that a block is final.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Certificate {
    /// The local sequencer (tests and the in-process demo): the proposer's
    /// signature over the block hash.
    Sequencer {
        signer: PartyId,
        signature: Signature,
    },
    /// Block 0 of a consortium run by consensus: valid through the founding
    /// members' signatures on its genesis entry.
    Genesis,
    /// BFT consensus (simplex): the consensus block's digest and its parent's,
    /// and — when this block was finalized directly rather than through a
    /// descendant — the encoded finalization certificate (2f+1 signatures).
    Consensus {
        parent_digest: [u8; 32],
        digest: [u8; 32],
        view: u64,
        finalization: Option<Vec<u8>>,
    },
}

impl Certificate {
    /// Who signed, for a sequencer certificate.
    pub fn sequencer_signer(&self) -> Option<PartyId> {
        match self {
            Certificate::Sequencer { signer, .. } => Some(*signer),
            _ => None,
        }
    }
}
