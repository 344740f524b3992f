//! The command line: one argument type per command.
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "credence",
    version,
    about = "Credit-reporting consortium client: ledger, sealed records, proofs"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

#[derive(Subcommand)]
pub(crate) enum NodeCmd {
    /// Create a member home: keys in an encrypted keystore and a public node.json.
    Init {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        name: String,
        /// agency, lender or regulator
        #[arg(long)]
        role: String,
        /// Where other members reach this node.
        #[arg(long, default_value = "127.0.0.1:7400")]
        p2p: std::net::SocketAddr,
        /// The client API. On a loopback address it also serves plain HTTP;
        /// anywhere else only TLS, with the certificate made here.
        #[arg(long, default_value = "127.0.0.1:7500")]
        api: std::net::SocketAddr,
        /// Another host name or address clients dial this node's API by
        /// (the certificate must name it); repeat for several.
        #[arg(long = "tls-name")]
        tls_names: Vec<String>,
    },
    /// Assemble a genesis file from the founding members' node.json files.
    Genesis {
        #[arg(long)]
        consortium: String,
        /// A founding member's node.json (or home folder); repeat, in order.
        #[arg(long = "member", required = true)]
        members: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        /// Blocks per consensus epoch; membership changes take effect at epochs.
        #[arg(long)]
        epoch_length: Option<u64>,
        /// Days a record is kept before any member may erase its content
        /// (365–36,500; default 2,557, seven years).
        #[arg(long)]
        retention_days: Option<u32>,
    },
    /// As a candidate: sign a request to join a running consortium (give the
    /// file to a current member, who proposes it).
    JoinRequest {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        genesis: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// As a member whose key leaked: make a new key (kept in the keystore
    /// as pending) and sign a request for it; give the file to another
    /// member, who proposes it (`propose --rekey`). Once 2/3 approve, the
    /// leaked key signs nothing, and from the next epoch the node runs with
    /// the new key.
    RekeyRequest {
        #[arg(long)]
        home: PathBuf,
        /// Leaked as of: unix seconds, or a UTC date YYYY-MM-DD.
        #[arg(long)]
        since: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Propose admitting a candidate (its join request), removing a member,
    /// or replacing a member's leaked key (its rekey request); it takes
    /// effect at the next epoch once 2/3 of the members approve.
    Propose {
        #[arg(long)]
        home: PathBuf,
        /// A candidate's join request file.
        #[arg(long, conflicts_with_all = ["remove", "rekey"], required_unless_present_any = ["remove", "rekey"])]
        admit: Option<PathBuf>,
        /// The name of the member to remove.
        #[arg(long, conflicts_with = "rekey")]
        remove: Option<String>,
        /// A member's rekey request file (its key leaked).
        #[arg(long)]
        rekey: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Vote on a membership proposal (approve unless --reject).
    Vote {
        #[arg(long)]
        home: PathBuf,
        /// The proposal id (hex), as `credence node members` lists it.
        #[arg(long)]
        proposal: String,
        #[arg(long)]
        reject: bool,
        #[arg(long)]
        json: bool,
    },
    /// The members in force, by epoch, and the membership proposals.
    Members {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Add this member's signature to a genesis file.
    SignGenesis {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        genesis: PathBuf,
    },
    /// The people on this member's staff, each on their own key: register,
    /// remove or list them (changes take the member's passphrase; the
    /// running node applies them from the next request).
    #[command(subcommand)]
    Operator(NodeOperatorCmd),
    /// Write the consortium profile (profile.json) users' clients need:
    /// the consortium, its genesis hash, and each founding member's keys and
    /// client API address, from the fully signed genesis file.
    Profile {
        #[arg(long)]
        genesis: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the member node until Ctrl-C.
    Run {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        genesis: PathBuf,
        /// Agencies: answer questions addressed to this member automatically.
        #[arg(long)]
        auto_answer: bool,
        /// How many recent blocks the consensus store keeps (at least 32).
        /// Older blocks stay in the ledger; a member further behind catches
        /// up from the other members' ledgers.
        #[arg(long, env = "CREDENCE_KEEP_BLOCKS", default_value_t = credence_api::member::DEFAULT_KEEP_BLOCKS)]
        keep_blocks: u64,
        /// Test only: propose pending entries without the rules' filter (a faulty member).
        #[arg(long, hide = true)]
        unfiltered: bool,
        /// Test only: lie to borrowers' light clients: hide, forge or fork.
        #[arg(long, hide = true)]
        lie: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum BenchCmd {
    /// Flood bank-a's node of a running demo consortium (`credence demo
    /// --keep-running`) as an attacker would: stalled request bodies, then
    /// one caller's long polls; meanwhile another client times `/v1/status`
    /// and a signed read of its own.
    Flood {
        /// The demo folder (member homes and genesis.json).
        #[arg(long)]
        dir: PathBuf,
        /// Connections that announce a body and never send it.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1000))]
        stalled: u64,
        /// Long polls held by one caller.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=512))]
        polls: u64,
        /// Seconds each flood lasts.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
        seconds: u64,
        #[arg(long)]
        json: bool,
    },
    /// Grow a running demo consortium's chain (one enrolment per block, and
    /// a question about borrower-0001 every --every blocks), then time
    /// borrower-0001's proven history: f+1 members asked, every entry
    /// proven against the members of its epoch.
    History {
        /// The demo folder (member homes, borrowers, profile.json).
        #[arg(long)]
        dir: PathBuf,
        /// Blocks to add before measuring.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=100_000))]
        blocks: u64,
        /// A question about the borrower every this many blocks (0: none).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=10_000))]
        every: u64,
        /// Timed runs of the history.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
        runs: u64,
        #[arg(long)]
        json: bool,
    },
    /// Sustained furnishing into a running demo consortium: bank-a proves
    /// and seals the records first (timed on its own, on every core), then
    /// submits them in chunks to all four nodes at once; reports finalized
    /// records/s, submit-to-final p50/p99, and each member's CPU and disk
    /// per record and peak memory, beside the raw library cost.
    Ingest {
        /// The demo folder (member homes and genesis.json).
        #[arg(long)]
        dir: PathBuf,
        /// Records to furnish.
        #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        records: u64,
        /// Records per submission (each waits for its receipts).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=200))]
        chunk: u64,
        #[arg(long)]
        json: bool,
    },
    /// A bank's question round trip against a running demo consortium:
    /// asked through bank-a's node, answered by the agency with a proof,
    /// final, and verified on bank-a's ledger; p50/p99 with every member up,
    /// and with --down, again with that member stopped (started again after).
    Questions {
        /// The demo folder (member homes, borrowers, profile.json).
        #[arg(long)]
        dir: PathBuf,
        /// Questions per run.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1000))]
        count: u64,
        /// Also time them with this member stopped: regulator or bank-b.
        #[arg(long)]
        down: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum Cmd {
    /// Load tools against a running consortium.
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Run the demo consortium: four members, the bundled German credit data,
    /// consents, scores, predicate queries and their proofs.
    Demo(DemoArgs),
    /// Run or set up a member node.
    #[command(subcommand)]
    Node(NodeCmd),
    /// Ask a running consortium a question about a borrower and wait for the
    /// verified answer (from a member home whose node is running).
    Query(QueryArgs),
    /// Re-check a ledger file from genesis: every hash, signature and proof.
    Verify(VerifyArgs),
    /// Write an answered query's proof bundle (JSON) for an auditor.
    ExportProof(ExportProofArgs),
    /// Check a proof bundle on its own (listing what only a ledger can show),
    /// or against a ledger with --db.
    VerifyProof(VerifyProofArgs),
    /// Export a record you can open as an `age` file for one recipient
    /// (a member or subject id on the ledger, or an age1… X25519 recipient).
    ExportRecord(ExportRecordArgs),
    /// Write your X25519 key as an age identity file (mode 0600), so the
    /// standard `age` tool can decrypt exports made for you.
    ExportAgeIdentity(ExportAgeIdentityArgs),
    /// Your records (decrypted in memory) and who accessed your data.
    MyRecords(MyRecordsArgs),
    /// Your own identity: a keystore only you hold, and its public id.
    #[command(subcommand)]
    Id(IdCmd),
    /// As a borrower: ask a lender to enrol you (a signed file you give it).
    EnrolRequest(EnrolRequestArgs),
    /// As a lender: enrol the borrower who wrote an enrolment request.
    Enrol(EnrolArgs),
    /// As a lender: furnish your accounts' updates from a CSV file
    /// (docs/furnish-csv.md); running the same file again submits nothing twice.
    Furnish(FurnishArgs),
    /// As a borrower: the consents you give members to ask about you.
    #[command(subcommand)]
    Consent(ConsentCmd),
    /// As a borrower: your records, opened with your key and checked against
    /// the ledger's commitments.
    Records(BorrowerListArgs),
    /// As a borrower: who asked what about you, and what you did.
    AccessLog(BorrowerListArgs),
    /// As a borrower: dispute one of your records.
    #[command(subcommand)]
    Dispute(DisputeCmd),
    /// As a borrower: freeze your file (a security freeze: no new question
    /// about you is accepted, whatever your consents) or lift the freeze.
    Freeze(FreezeArgs),
    /// Your key's lifecycle.
    #[command(subcommand)]
    Key(KeyCmd),
    /// As a lender: re-seal every record you furnished that a key incident
    /// lists (its borrower's key leaked) to the borrower's new key.
    Reseal(ResealArgs),
    /// As a member: erase records' sealed content at every member — every
    /// record past the genesis policy's retention (any member), or one
    /// record on a lawful request the regulator approved (the regulator).
    Erase(EraseArgs),
    /// As a member's staff on your own key (an officer, analyst or auditor
    /// registered with `credence node operator add`).
    #[command(subcommand)]
    Operator(OperatorCmd),
}

#[derive(Subcommand)]
pub(crate) enum NodeOperatorCmd {
    /// Register a person's own public key to act for this member in a role:
    /// officer (ask questions, enrol borrowers), analyst (read the member's
    /// records, each wrapped to the analyst's key) or auditor (read questions
    /// and answers).
    Add {
        /// The member's home.
        #[arg(long)]
        home: PathBuf,
        /// The person's public key file (`credence id show --json > F`).
        #[arg(long)]
        key: PathBuf,
        /// officer, analyst or auditor
        #[arg(long)]
        role: String,
        /// A label for people (letters, digits, - or _).
        #[arg(long)]
        name: String,
    },
    /// Remove an operator: its next request is refused.
    Remove {
        #[arg(long)]
        home: PathBuf,
        /// The operator's public key file, or its party id (hex).
        #[arg(long)]
        key: String,
    },
    /// The operators registered at this node.
    List {
        #[arg(long)]
        home: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

/// A member's staff member on their own key, and the node they act through.
#[derive(Args)]
pub(crate) struct OperatorArgs {
    #[command(flatten)]
    pub(crate) keys: KeystoreArgs,
    /// The consortium profile (profile.json).
    #[arg(long)]
    pub(crate) profile: PathBuf,
    /// Your member (its name in the profile): its node registered you.
    #[arg(long)]
    pub(crate) member: String,
}

#[derive(Subcommand)]
pub(crate) enum OperatorCmd {
    /// As an officer: ask a question about a borrower for your member and
    /// wait for the agency's answer.
    Ask {
        #[command(flatten)]
        op: OperatorArgs,
        /// The borrower's id (hex).
        #[arg(long)]
        subject: String,
        #[arg(long, help = predicate_help())]
        predicate: String,
        /// For a balance question: the record (hex id).
        #[arg(long)]
        record: Option<String>,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=600))]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    /// As a lender's officer: furnish the accounts of a furnishing file
    /// (docs/furnish-csv.md) through your member's node, which seals and
    /// proves them as the member. Every row is checked before anything is
    /// sent; running the same file again furnishes nothing twice.
    Furnish {
        #[command(flatten)]
        op: OperatorArgs,
        #[arg(long)]
        csv: PathBuf,
        /// Furnish the good rows of a file that has bad ones (each bad row
        /// is still named).
        #[arg(long)]
        skip_bad: bool,
        #[arg(long)]
        json: bool,
    },
    /// As an analyst: your member's records, opened with your own key.
    Records {
        #[command(flatten)]
        op: OperatorArgs,
        /// At most this many records.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100000))]
        limit: u64,
        #[arg(long)]
        json: bool,
    },
    /// As any operator: the questions asked in the consortium.
    Queries {
        #[command(flatten)]
        op: OperatorArgs,
        #[arg(long)]
        json: bool,
    },
    /// As any operator: the alarms over the consortium's questions (inquiry
    /// bursts, questions waiting past the answer time).
    Alarms {
        #[command(flatten)]
        op: OperatorArgs,
        #[arg(long)]
        json: bool,
    },
    /// As any operator: the members of every epoch, proven from the
    /// founding block and the finalized membership votes that f+1 members
    /// serve (not taken from your member's node alone).
    Members {
        #[command(flatten)]
        op: OperatorArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum IdCmd {
    /// Create your keystore (asks for a new passphrase of 8 or more
    /// characters) and print your public id.
    New {
        /// The folder for your keystore.json (created; never overwritten).
        #[arg(long)]
        home: PathBuf,
        /// A label for the identity inside the keystore.
        #[arg(long, default_value = "me")]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Print your public id (party id and public keys).
    Show {
        #[command(flatten)]
        keys: KeystoreArgs,
        #[arg(long)]
        json: bool,
    },
}

/// A borrower's keys and the consortium they reach.
#[derive(Args)]
pub(crate) struct BorrowerArgs {
    #[command(flatten)]
    pub(crate) keys: KeystoreArgs,
    /// The consortium profile (profile.json).
    #[arg(long)]
    pub(crate) profile: PathBuf,
    /// The member whose node to go through (default: the first that answers).
    #[arg(long)]
    pub(crate) via: Option<String>,
}

#[derive(Args)]
pub(crate) struct BorrowerListArgs {
    #[command(flatten)]
    pub(crate) borrower: BorrowerArgs,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct EnrolRequestArgs {
    #[command(flatten)]
    pub(crate) keys: KeystoreArgs,
    #[arg(long)]
    pub(crate) profile: PathBuf,
    /// The lender (member name in the profile) that will enrol you.
    #[arg(long)]
    pub(crate) lender: String,
    #[arg(long)]
    pub(crate) out: PathBuf,
}

#[derive(Args)]
pub(crate) struct EnrolArgs {
    /// The lender's member home (its node must be running).
    #[arg(long)]
    pub(crate) home: PathBuf,
    /// The borrower's enrolment request file.
    #[arg(long)]
    pub(crate) request: PathBuf,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct FurnishArgs {
    /// The lender's member home (its node must be running).
    #[arg(long)]
    pub(crate) home: PathBuf,
    /// The furnishing file (docs/furnish-csv.md).
    #[arg(long)]
    pub(crate) csv: PathBuf,
    /// Furnish the good rows of a file that has bad ones (each is listed);
    /// without it, a file with any bad row submits nothing.
    #[arg(long)]
    pub(crate) skip_bad: bool,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct EraseWhat {
    /// Every record past its retention.
    #[arg(long)]
    pub(crate) expired: bool,
    /// One record (64 hex digits), on a lawful request you approved (the
    /// regulator's home).
    #[arg(long)]
    pub(crate) record: Option<String>,
}

#[derive(Args)]
pub(crate) struct ResealArgs {
    /// The lender's member home (its node must be running).
    #[arg(long)]
    pub(crate) home: PathBuf,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct EraseArgs {
    /// The member's home (its node must be running).
    #[arg(long)]
    pub(crate) home: PathBuf,
    #[command(flatten)]
    pub(crate) what: EraseWhat,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Subcommand)]
pub(crate) enum ConsentCmd {
    /// Let a member ask about you, for a purpose and a time.
    Grant {
        #[command(flatten)]
        borrower: BorrowerArgs,
        /// The member (name in the profile).
        #[arg(long)]
        to: String,
        /// credit-application, account-review, collection, employment,
        /// insurance-underwriting, consumer-request or court-order-or-regulator.
        #[arg(long)]
        purpose: String,
        /// The questions it may ask, by kind (comma-separated; default all).
        #[arg(long, help = questions_help())]
        questions: Option<String>,
        /// How long the consent lasts.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=3650))]
        days: u64,
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a consent; from its block on, no question under it is taken.
    Revoke {
        #[command(flatten)]
        borrower: BorrowerArgs,
        /// The consent id (hex), as `credence consent list` shows it.
        #[arg(long)]
        consent: String,
        #[arg(long)]
        json: bool,
    },
    /// The consents you gave, live or not.
    List(BorrowerListArgs),
}

#[derive(Subcommand)]
pub(crate) enum DisputeCmd {
    /// Dispute a record; its furnisher must answer.
    Open {
        #[command(flatten)]
        borrower: BorrowerArgs,
        /// The record id (hex), as `credence records` shows it.
        #[arg(long)]
        record: String,
        /// not-mine, wrong-balance, wrong-status, already-paid or other.
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub(crate) struct FreezeArgs {
    #[arg(value_enum)]
    pub(crate) state: FreezeState,
    #[command(flatten)]
    pub(crate) borrower: BorrowerArgs,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Subcommand)]
pub(crate) enum KeyCmd {
    /// Replace your key with a new one for the same identity; the keystore
    /// keeps the old key. A borrower's rotation is a ledger entry: from its
    /// block on only the new key signs and new records are sealed to it
    /// (older ones stay readable). A member's (--home of a member node, no
    /// --profile) takes effect at the next epoch, when the running node
    /// restarts with the new key by itself. A staff member's is made at
    /// their member's node, which refuses the old key from then on.
    Rotate {
        #[command(flatten)]
        keys: KeystoreArgs,
        /// The consortium profile (profile.json); not for a member's home.
        #[arg(long)]
        profile: Option<PathBuf>,
        /// The member whose node to go through (default: the first that answers).
        #[arg(long)]
        via: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// As a borrower whose key leaked: rotate to a new key, declaring the old
    /// one compromised as of --since (the consents granted with it since are
    /// revoked, and the regulator sees the incident), then re-seal every
    /// record still sealed to it to your new key. --reseal finishes the
    /// re-sealing of an earlier declaration.
    Incident {
        #[command(flatten)]
        borrower: BorrowerArgs,
        #[command(flatten)]
        what: IncidentWhat,
        /// Declare now and re-seal later (with --reseal): the leaked key is
        /// refused from the declaration's block either way.
        #[arg(long, requires = "since")]
        declare_only: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct IncidentWhat {
    /// Leaked as of: unix seconds, or a UTC date YYYY-MM-DD.
    #[arg(long)]
    pub(crate) since: Option<String>,
    /// Only re-seal what an earlier declaration left.
    #[arg(long)]
    pub(crate) reseal: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum FreezeState {
    /// Freeze: no new question about you is accepted.
    On,
    /// Lift the freeze.
    Off,
}

#[derive(Args)]
pub(crate) struct DemoArgs {
    #[arg(long)]
    pub(crate) dir: PathBuf,
    /// Borrowers to import (default: all 1,000 rows).
    #[arg(long)]
    pub(crate) subjects: Option<usize>,
    /// A CSV in the German credit layout instead of the bundled copy.
    #[arg(long)]
    pub(crate) csv: Option<PathBuf>,
    /// Skip re-verifying every member's ledger file at the end.
    #[arg(long)]
    pub(crate) no_verify: bool,
    /// Run all members in this process behind the local sequencer instead
    /// of four node processes reaching consensus on 127.0.0.1.
    #[arg(long)]
    pub(crate) local: bool,
    /// Leave the member processes running at the end (for the desktop app).
    #[arg(long)]
    pub(crate) keep_running: bool,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct QueryArgs {
    #[arg(long)]
    pub(crate) home: PathBuf,
    /// The borrower's id (hex).
    #[arg(long)]
    pub(crate) subject: String,
    #[arg(long, help = predicate_help())]
    pub(crate) predicate: String,
    /// For 'balance <= N': the record (hex id).
    #[arg(long)]
    pub(crate) record: Option<String>,
    /// Seconds to wait for the answer (1 to 3600). After a timeout, the
    /// same command waits for the same question; it never asks twice.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) timeout: u64,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct VerifyArgs {
    #[arg(long)]
    pub(crate) db: PathBuf,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct ExportProofArgs {
    #[arg(long)]
    pub(crate) db: PathBuf,
    #[arg(long)]
    pub(crate) query: String,
    /// Output file (default: standard output).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct VerifyProofArgs {
    #[arg(long)]
    pub(crate) bundle: PathBuf,
    #[arg(long)]
    pub(crate) db: Option<PathBuf>,
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args)]
pub(crate) struct ExportRecordArgs {
    #[command(flatten)]
    pub(crate) keys: KeystoreArgs,
    #[arg(long)]
    pub(crate) db: PathBuf,
    #[arg(long)]
    pub(crate) record: String,
    /// Recipient: a party id (hex) on the ledger, or an age1… recipient;
    /// default yourself.
    #[arg(long)]
    pub(crate) to: Option<String>,
    #[arg(long)]
    pub(crate) out: PathBuf,
}

#[derive(Args)]
pub(crate) struct ExportAgeIdentityArgs {
    #[command(flatten)]
    pub(crate) keys: KeystoreArgs,
    #[arg(long)]
    pub(crate) out: PathBuf,
}

#[derive(Args)]
pub(crate) struct MyRecordsArgs {
    #[command(flatten)]
    pub(crate) keys: KeystoreArgs,
    #[arg(long)]
    pub(crate) db: PathBuf,
    #[arg(long)]
    pub(crate) json: bool,
}

/// Whose keys: a keystore and, in it, one identity.
#[derive(Args)]
pub(crate) struct KeystoreArgs {
    /// Folder holding your keystore.json.
    #[arg(long)]
    pub(crate) home: PathBuf,
    /// Which identity of the keystore (label); default the first.
    #[arg(long)]
    pub(crate) identity: Option<String>,
}

/// `--predicate`'s help: every kind's syntax, from the one definition.
fn predicate_help() -> String {
    use credence_api::PredicateKind;
    let kinds: Vec<String> = PredicateKind::ALL
        .iter()
        .map(|k| format!("'{}'", k.syntax()))
        .collect();
    format!(
        "The question, one of {} (amounts in cents, percentages whole), e.g. '{}'",
        kinds.join(", "),
        PredicateKind::TotalDebtBelow.example()
    )
}

/// `--questions`' help: the kinds' names, from the one definition.
fn questions_help() -> String {
    use credence_api::PredicateKind;
    let names: Vec<&str> = PredicateKind::ALL.iter().map(|k| k.name()).collect();
    format!(
        "The questions it may ask, comma-separated, from: {} (default: all)",
        names.join(", ")
    )
}
