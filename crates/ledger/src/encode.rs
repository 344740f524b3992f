//! Canonical encoding, hashes and signing domains.
//!
//! The encoding is `postcard` over the types in `types`: fixed field order,
//! varint integers, no maps, so one value has one encoding. Decoding re-encodes
//! and compares, so a non-canonical byte string is rejected rather than
//! silently accepted with a different hash.
use crate::types::{Block, BlockHeader, Certificate, Entry, Id, JoinRequest, Member, SignedEntry};
use crate::LedgerError;
use credence_crypto::hash::digest;
use credence_crypto::{Identity, PartyId, PublicIdentity};
use serde::{de::DeserializeOwned, Serialize};

pub const ENTRY_SIG_DOMAIN: &[u8] = b"credence.entry.sig.v1";
pub const BLOCK_SIG_DOMAIN: &[u8] = b"credence.block.sig.v1";
pub const JOIN_SIG_DOMAIN: &[u8] = b"credence.join-request.sig.v1";
pub const REKEY_SIG_DOMAIN: &[u8] = b"credence.rekey-request.sig.v1";
const ENTRY_ID_DOMAIN: &[u8] = b"credence.entry.id.v1";
const BLOCK_HASH_DOMAIN: &[u8] = b"credence.block.v1";

pub fn to_bytes<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).expect("postcard encoding into a Vec cannot fail")
}

/// Decode and insist the bytes are the canonical encoding of what they decode to.
pub fn from_bytes<T: DeserializeOwned + Serialize>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, LedgerError> {
    let v: T = postcard::from_bytes(bytes).map_err(|e| LedgerError::Decode {
        what,
        why: e.to_string(),
    })?;
    if to_bytes(&v) != bytes {
        return Err(LedgerError::Decode {
            what,
            why: "not the canonical encoding".into(),
        });
    }
    Ok(v)
}

/// What entry signatures sign, entry ids hash and Merkle leaves commit to:
/// the encoded entry with its sealed payload in the erased form (the
/// ciphertext's digest), so that an entry reads the same before and after
/// its record is erased and a changed digest breaks all three.
pub fn entry_bytes(e: &Entry) -> Vec<u8> {
    match e {
        Entry::RecordFurnished(r) if !r.sealed.ciphertext.is_erased() => {
            let mut c = r.clone();
            c.sealed = r.sealed.erased();
            to_bytes(&Entry::RecordFurnished(c))
        }
        Entry::ScoreCommitted(s) if !s.sealed.ciphertext.is_erased() => {
            let mut c = s.clone();
            c.sealed = s.sealed.erased();
            to_bytes(&Entry::ScoreCommitted(c))
        }
        Entry::RecordResealed {
            record_id,
            subject,
            by,
            sealed,
        } if !sealed.ciphertext.is_erased() => to_bytes(&Entry::RecordResealed {
            record_id: *record_id,
            subject: *subject,
            by: *by,
            sealed: sealed.erased(),
        }),
        _ => to_bytes(e),
    }
}

/// `se` with its sealed payload erased (what a member keeps of an erased
/// record's entry); `None` when it carries no payload or it is already erased.
pub fn erased_entry(se: &SignedEntry) -> Option<SignedEntry> {
    match &se.entry {
        Entry::RecordFurnished(r) if !r.sealed.ciphertext.is_erased() => {
            let mut c = r.clone();
            c.sealed = r.sealed.erased();
            Some(SignedEntry {
                entry: Entry::RecordFurnished(c),
                signatures: se.signatures.clone(),
            })
        }
        Entry::RecordResealed {
            record_id,
            subject,
            by,
            sealed,
        } if !sealed.ciphertext.is_erased() => Some(SignedEntry {
            entry: Entry::RecordResealed {
                record_id: *record_id,
                subject: *subject,
                by: *by,
                sealed: sealed.erased(),
            },
            signatures: se.signatures.clone(),
        }),
        _ => None,
    }
}

/// What a candidate signs to ask to join: consortium, member, address.
pub fn join_request_bytes(consortium: &str, member: &Member, address: &str) -> Vec<u8> {
    to_bytes(&(consortium, member, address))
}

/// What a member's new key signs to ask for it after a leak.
pub fn rekey_request_bytes(
    consortium: &str,
    party: &PartyId,
    new_key: &PublicIdentity,
    compromised_since: u64,
) -> Vec<u8> {
    to_bytes(&(consortium, party, new_key, compromised_since))
}

/// A rekey request signed by the member's new key (`next`, an identity
/// rotated from the member's: its party is the member's).
pub fn sign_rekey_request(
    next: &Identity,
    consortium: &str,
    compromised_since: u64,
) -> crate::types::RekeyRequest {
    let (party, new_key) = (next.party_id(), next.public());
    crate::types::RekeyRequest {
        consortium: consortium.to_string(),
        party,
        new_key,
        compromised_since,
        signature: next.sign(
            REKEY_SIG_DOMAIN,
            &rekey_request_bytes(consortium, &party, &new_key, compromised_since),
        ),
    }
}

/// A join request signed by the candidate's own key.
pub fn sign_join_request(
    candidate: &Identity,
    consortium: &str,
    member: Member,
    address: &str,
) -> JoinRequest {
    let signature = candidate.sign(
        JOIN_SIG_DOMAIN,
        &join_request_bytes(consortium, &member, address),
    );
    JoinRequest {
        consortium: consortium.to_string(),
        member,
        address: address.to_string(),
        signature,
    }
}

/// An entry's id: the hash of its encoding (signatures excluded).
pub fn entry_id(e: &Entry) -> Id {
    digest(ENTRY_ID_DOMAIN, &[&entry_bytes(e)])
}

pub fn sign_entry(entry: Entry, signers: &[&Identity]) -> SignedEntry {
    let bytes = entry_bytes(&entry);
    let signatures = signers
        .iter()
        .map(|s| s.sign(ENTRY_SIG_DOMAIN, &bytes))
        .collect();
    SignedEntry { entry, signatures }
}

/// Add one more signature (e.g. the enrolling lender's after the subject's).
pub fn cosign_entry(se: &mut SignedEntry, signer: &Identity) {
    let bytes = entry_bytes(&se.entry);
    se.signatures.push(signer.sign(ENTRY_SIG_DOMAIN, &bytes));
}

/// A block header's commitment to its entries: a Merkle root, so one
/// entry's inclusion can be proven alone (`merkle::path`).
pub use crate::merkle::entries_root;

pub fn header_hash(h: &BlockHeader) -> [u8; 32] {
    digest(BLOCK_HASH_DOMAIN, &[&to_bytes(h)])
}

pub fn block_hash(b: &Block) -> [u8; 32] {
    header_hash(&b.header)
}

pub fn certify(block_hash: &[u8; 32], signer: &Identity) -> Certificate {
    Certificate::Sequencer {
        signer: signer.party_id(),
        signature: signer.sign(BLOCK_SIG_DOMAIN, block_hash),
    }
}

/// Check a sequencer certificate: `signer` signed the block hash.
pub fn check_certificate(
    block_hash: &[u8; 32],
    cert: &Certificate,
    signer: &PublicIdentity,
) -> Result<(), LedgerError> {
    let Certificate::Sequencer {
        signer: who,
        signature,
    } = cert
    else {
        return Err(LedgerError::BadCertificate(
            "not a sequencer certificate".into(),
        ));
    };
    if signer.party_id() != *who {
        return Err(LedgerError::BadCertificate(
            "certificate signer is not the expected member".into(),
        ));
    }
    signer
        .verify(BLOCK_SIG_DOMAIN, block_hash, signature)
        .map_err(|_| {
            LedgerError::BadCertificate("signature over the block hash does not verify".into())
        })
}
