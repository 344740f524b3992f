//! SQLite schema and its versioned migrations.
//!
//! `blocks` is the ledger itself; every other table is state derived from it by
//! the rules, written in the same transaction as the block, so the file is
//! never half-applied. `credence verify` rebuilds that state from `blocks`
//! alone and compares.
use crate::LedgerError;
use rusqlite::Connection;

/// Each step moves the schema one version up; never edit a released step.
const MIGRATIONS: &[&str] = &[
    // v1
    r#"
    CREATE TABLE blocks (
        height      INTEGER PRIMARY KEY,
        hash        BLOB NOT NULL UNIQUE,
        parent      BLOB NOT NULL,
        timestamp   INTEGER NOT NULL,
        proposer    BLOB NOT NULL,
        body        BLOB NOT NULL,
        certificate BLOB NOT NULL
    );
    CREATE TABLE entries (
        entry_id BLOB PRIMARY KEY,
        height   INTEGER NOT NULL,
        idx      INTEGER NOT NULL,
        kind     TEXT NOT NULL,
        subject  BLOB,
        body     BLOB NOT NULL,
        UNIQUE (height, idx)
    );
    CREATE INDEX entries_subject ON entries(subject, height);
    CREATE TABLE members (
        party   BLOB PRIMARY KEY,
        name    TEXT NOT NULL,
        role    TEXT NOT NULL,
        sign_pk BLOB NOT NULL,
        enc_pk  BLOB NOT NULL,
        key_id  BLOB NOT NULL UNIQUE,
        since   INTEGER NOT NULL
    );
    CREATE TABLE subjects (
        party       BLOB PRIMARY KEY,
        sign_pk     BLOB NOT NULL,
        enc_pk      BLOB NOT NULL,
        key_id      BLOB NOT NULL UNIQUE,
        enrolled_by BLOB NOT NULL,
        height      INTEGER NOT NULL,
        at          INTEGER NOT NULL
    );
    CREATE TABLE records (
        record_id     BLOB PRIMARY KEY,
        subject       BLOB NOT NULL,
        furnisher     BLOB NOT NULL,
        kind          TEXT NOT NULL,
        corrects      BLOB,
        status        TEXT NOT NULL,          -- live | superseded | deleted | unusable
        compliance    TEXT,                   -- XB disputed, XH resolved
        commitments   BLOB NOT NULL,
        entry_id      BLOB NOT NULL,
        height        INTEGER NOT NULL,
        at            INTEGER NOT NULL
    );
    CREATE INDEX records_subject ON records(subject, kind, status, record_id);
    CREATE INDEX records_furnisher ON records(furnisher);
    CREATE TABLE record_access (
        record_id BLOB NOT NULL,
        party     BLOB NOT NULL,
        via       TEXT NOT NULL,              -- sealed | shared
        wrap      BLOB,                       -- the shared wrap, for `shared`
        height    INTEGER NOT NULL,
        at        INTEGER NOT NULL,
        PRIMARY KEY (record_id, party)
    );
    CREATE INDEX record_access_party ON record_access(party, height);
    CREATE TABLE consents (
        consent_id     BLOB PRIMARY KEY,
        subject        BLOB NOT NULL,
        grantee        BLOB NOT NULL,
        purpose        TEXT NOT NULL,
        predicates     BLOB NOT NULL,
        expires_at     INTEGER NOT NULL,
        explicit       INTEGER NOT NULL,
        granted_height INTEGER NOT NULL,
        granted_at     INTEGER NOT NULL,
        revoked_height INTEGER,
        revoked_at     INTEGER
    );
    CREATE INDEX consents_subject ON consents(subject, grantee);
    CREATE INDEX consents_grantee ON consents(grantee);
    CREATE TABLE queries (
        query_id        BLOB PRIMARY KEY,
        requester       BLOB NOT NULL,
        subject         BLOB NOT NULL,
        consent_id      BLOB NOT NULL,
        predicate       BLOB NOT NULL,
        predicate_text  TEXT NOT NULL,
        responder       BLOB NOT NULL,
        target          BLOB,
        asked_height    INTEGER NOT NULL,
        asked_at        INTEGER NOT NULL,
        answered_height INTEGER,
        answered_at     INTEGER,
        holds           INTEGER,
        branch          INTEGER,
        answer_entry    BLOB
    );
    CREATE INDEX queries_subject ON queries(subject, asked_height);
    CREATE INDEX queries_requester ON queries(requester, asked_height);
    CREATE INDEX queries_open ON queries(responder, answered_height);
    CREATE TABLE scores (
        score_id   BLOB PRIMARY KEY,
        agency     BLOB NOT NULL,
        subject    BLOB NOT NULL,
        period     INTEGER NOT NULL,
        commitment BLOB NOT NULL,
        entry_id   BLOB NOT NULL,
        height     INTEGER NOT NULL,
        at         INTEGER NOT NULL,
        UNIQUE (agency, subject, period)
    );
    CREATE TABLE disputes (
        dispute_id      BLOB PRIMARY KEY,
        subject         BLOB NOT NULL,
        record_id       BLOB NOT NULL,
        reason          TEXT NOT NULL,
        opened_height   INTEGER NOT NULL,
        opened_at       INTEGER NOT NULL,
        resolved_height INTEGER,
        resolved_at     INTEGER,
        outcome         TEXT,
        correction      BLOB
    );
    CREATE INDEX disputes_record ON disputes(record_id);
    "#,
    // v2: order-then-execute — entries of a finalized block that the rules refuse.
    r#"
    CREATE TABLE rejected_entries (
        height   INTEGER NOT NULL,
        idx      INTEGER NOT NULL,
        entry_id BLOB NOT NULL,
        kind     TEXT NOT NULL,
        code     TEXT NOT NULL,
        message  TEXT NOT NULL,
        PRIMARY KEY (height, idx)
    );
    "#,
    // v3: membership over epochs. A member row is in force from `from_epoch`
    // until (not including) `until_epoch`; founding members' addresses live
    // in the genesis file, admitted members' here.
    r#"
    ALTER TABLE members ADD COLUMN from_epoch INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE members ADD COLUMN until_epoch INTEGER;
    ALTER TABLE members ADD COLUMN address TEXT;
    CREATE TABLE chain (
        one          INTEGER PRIMARY KEY CHECK (one = 1),
        consortium   TEXT NOT NULL,
        epoch_length INTEGER NOT NULL,
        epoch        INTEGER NOT NULL
    );
    CREATE TABLE membership_proposals (
        proposal_id     BLOB PRIMARY KEY,
        proposer        BLOB NOT NULL,
        kind            TEXT NOT NULL,          -- admit | remove
        party           BLOB NOT NULL,
        change          BLOB NOT NULL,
        height          INTEGER NOT NULL,
        at              INTEGER NOT NULL,
        status          TEXT NOT NULL,          -- open | approved | refused
        decided_height  INTEGER,
        effective_epoch INTEGER
    );
    CREATE TABLE membership_votes (
        proposal_id BLOB NOT NULL,
        voter       BLOB NOT NULL,
        approve     INTEGER NOT NULL,
        height      INTEGER NOT NULL,
        PRIMARY KEY (proposal_id, voter)
    );
    "#,
    // v4: reviews of records whose sealed content does not open their
    // commitments (`RecordContested`, `RecordJudged`); a record judged
    // unusable gets status `unusable`.
    r#"
    CREATE TABLE record_reviews (
        record_id        BLOB PRIMARY KEY,
        contester        BLOB NOT NULL,
        regulator        BLOB NOT NULL,
        evidence         BLOB NOT NULL,       -- the content key wrapped for the regulator
        contested_height INTEGER NOT NULL,
        contested_at     INTEGER NOT NULL,
        verdict          TEXT,                -- unusable | sound; NULL while open
        judged_height    INTEGER,
        judged_at        INTEGER
    );
    CREATE INDEX record_reviews_regulator ON record_reviews(regulator, verdict);
    "#,
    // v5: the operator (a member's staff key) a question was asked for.
    r#"
    ALTER TABLE queries ADD COLUMN operator BLOB;
    "#,
    // v6: the membership entries, which a light client replays to learn
    // each epoch's members.
    r#"
    CREATE INDEX entries_membership ON entries(height, idx)
        WHERE kind IN ('genesis', 'member-proposed', 'member-vote');
    "#,
    // v7: a subject's security freeze (the height it began; NULL: none).
    r#"
    ALTER TABLE subjects ADD COLUMN frozen_height INTEGER;
    "#,
    // v8: the genesis policy's dispute deadline (FCRA §611: 30 days).
    r#"
    ALTER TABLE chain ADD COLUMN dispute_days INTEGER NOT NULL DEFAULT 30;
    "#,
    // v9: borrowers' keys retired by a rotation (from `until_height` on they
    // sign nothing; records sealed to them still name their holder).
    r#"
    CREATE TABLE retired_keys (
        party        BLOB NOT NULL,
        sign_pk      BLOB NOT NULL UNIQUE,
        enc_pk       BLOB NOT NULL,
        key_id       BLOB NOT NULL UNIQUE,
        until_height INTEGER NOT NULL,
        PRIMARY KEY (party, key_id)
    );
    "#,
    // v10: the genesis policy's retention, and erased records (their sealed
    // content is gone at every member; the entry keeps its digest).
    r#"
    ALTER TABLE chain ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 2557;
    CREATE TABLE erasures (
        record_id BLOB PRIMARY KEY,
        subject   BLOB NOT NULL,
        grounds   TEXT NOT NULL,
        by_party  BLOB NOT NULL,
        entry_id  BLOB NOT NULL,
        height    INTEGER NOT NULL,
        at        INTEGER NOT NULL
    );
    "#,
    // v11: keys declared compromised, the records sealed to them (until each
    // is re-sealed), and each record's latest re-seal.
    r#"
    CREATE TABLE key_incidents (
        party            BLOB NOT NULL,
        key_id           BLOB NOT NULL PRIMARY KEY,
        since            INTEGER NOT NULL,
        entry_id         BLOB NOT NULL,
        height           INTEGER NOT NULL,
        at               INTEGER NOT NULL,
        revoked_consents INTEGER NOT NULL
    );
    CREATE TABLE incident_records (
        key_id          BLOB NOT NULL,
        record_id       BLOB NOT NULL,
        resealed_height INTEGER,
        PRIMARY KEY (key_id, record_id)
    );
    CREATE INDEX incident_records_record ON incident_records(record_id);
    CREATE TABLE reseals (
        record_id BLOB PRIMARY KEY,
        entry_id  BLOB NOT NULL,
        by_party  BLOB NOT NULL,
        height    INTEGER NOT NULL,
        at        INTEGER NOT NULL
    );
    "#,
    // v12: a member's keys by epoch. A member's key is also its consensus
    // key, so a rotation takes effect at the next epoch: the row waits
    // (`applied` 0) until the first block of `from_epoch`, when `members`
    // takes the new key and the old one is retired. The member's key before
    // its first rotation is noted with it, so every epoch's set is known.
    r#"
    CREATE TABLE member_keys (
        party      BLOB NOT NULL,
        from_epoch INTEGER NOT NULL,
        sign_pk    BLOB NOT NULL UNIQUE,
        enc_pk     BLOB NOT NULL,
        key_id     BLOB NOT NULL UNIQUE,
        entry_id   BLOB,
        height     INTEGER NOT NULL,
        applied    INTEGER NOT NULL,
        PRIMARY KEY (party, from_epoch)
    );
    -- A key declared compromised signs no entry from the declaration on
    -- (a member's stays its consensus key until the next epoch).
    ALTER TABLE key_incidents ADD COLUMN sign_pk BLOB;
    CREATE INDEX key_incidents_sign ON key_incidents(sign_pk);
    "#,
];

/// The derived-state tables `verify` compares, with a stable row order.
pub const STATE_TABLES: &[(&str, &str)] = &[
    ("entries", "entry_id"),
    ("members", "party"),
    ("chain", "one"),
    ("membership_proposals", "proposal_id"),
    ("membership_votes", "proposal_id, voter"),
    ("subjects", "party"),
    ("retired_keys", "key_id"),
    ("records", "record_id"),
    ("record_access", "record_id, party"),
    ("consents", "consent_id"),
    ("queries", "query_id"),
    ("scores", "score_id"),
    ("disputes", "dispute_id"),
    ("record_reviews", "record_id"),
    ("erasures", "record_id"),
    ("key_incidents", "key_id"),
    ("incident_records", "key_id, record_id"),
    ("reseals", "record_id"),
    ("member_keys", "party, from_epoch"),
    ("rejected_entries", "height, idx"),
];

pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Bring the database to the current schema, one transaction per step.
pub fn migrate(conn: &mut Connection) -> Result<(), LedgerError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > current_version() {
        return Err(LedgerError::SchemaTooNew {
            found,
            supported: current_version(),
        });
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
