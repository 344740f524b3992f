//! A borrower's enrolment request (`credence enrol-request`): the
//! `SubjectEnrolled` entry signed by the borrower, bound to one consortium
//! (its name and genesis) and one lender, as a file the borrower hands to
//! that lender. The lender's officer checks it, countersigns and submits it
//! (`credence enrol`); the ledger's rules check both signatures again.
use crate::error::{ApiError, ErrorCode, Result};
use crate::profile::Profile;
use credence_crypto::{Identity, PartyId, PublicIdentity};
use credence_ledger::encode::{entry_bytes, from_bytes, sign_entry, to_bytes, ENTRY_SIG_DOMAIN};
use credence_ledger::types::{Entry, Role, SignedEntry};
use serde::{Deserialize, Serialize};
use std::path::Path;

const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    pub version: u32,
    pub consortium: String,
    /// Hex hash of the consortium's block 0.
    pub genesis: String,
    /// The lender the request is for, by name (for people; the entry names
    /// the lender's party).
    pub lender: String,
    /// The borrower's party id (hex), to tell the borrower who they are.
    pub party: String,
    /// The borrower-signed entry (hex of its canonical encoding).
    pub entry: String,
}

impl EnrolRequest {
    /// `me`'s request to be enrolled by `lender` of the profile's consortium.
    pub fn create(profile: &Profile, me: &Identity, lender: &str) -> Result<Self> {
        let m = profile.member(lender)?;
        if m.role()? != Role::Lender {
            return Err(ApiError::invalid(format!(
                "{lender} is {} {}, not a lender; a borrower is enrolled by a lender",
                if m.role == "agency" { "an" } else { "a" },
                m.role
            )));
        }
        let entry = sign_entry(
            Entry::SubjectEnrolled {
                subject: me.public(),
                lender: m.party()?,
            },
            &[me],
        );
        Ok(EnrolRequest {
            version: VERSION,
            consortium: profile.consortium.clone(),
            genesis: profile.genesis.clone(),
            lender: lender.to_string(),
            party: me.party_id().to_hex(),
            entry: hex::encode(to_bytes(&entry)),
        })
    }

    /// The borrower's signed entry, after checking that the request is for
    /// `lender` of the consortium named `consortium` with genesis `genesis`,
    /// and that the borrower's signature verifies.
    pub fn check(
        &self,
        consortium: &str,
        genesis: &str,
        lender: &PartyId,
    ) -> Result<(PublicIdentity, SignedEntry)> {
        let bad = |why: String| ApiError::invalid(format!("the enrolment request {why}"));
        if self.version != VERSION {
            return Err(bad(format!("is version {}, not {VERSION}", self.version)));
        }
        if self.consortium != consortium || self.genesis != genesis {
            return Err(ApiError::new(
                ErrorCode::NotPermitted,
                format!(
                    "the enrolment request is for the consortium {:?} (genesis {}…), not this one ({consortium:?}, genesis {}…)",
                    self.consortium,
                    self.genesis.get(..16).unwrap_or(&self.genesis),
                    genesis.get(..16).unwrap_or(genesis)
                ),
            ));
        }
        let bytes = hex::decode(&self.entry).map_err(|_| bad("entry is not hex".into()))?;
        let signed: SignedEntry = from_bytes("enrolment entry", &bytes)
            .map_err(|e| bad(format!("entry does not decode: {e}")))?;
        let Entry::SubjectEnrolled { subject, lender: l } = &signed.entry else {
            return Err(bad("does not hold an enrolment".into()));
        };
        if l != lender {
            return Err(ApiError::new(
                ErrorCode::NotPermitted,
                format!(
                    "the enrolment request is for the lender {}, not for this member",
                    self.lender
                ),
            ));
        }
        if subject.party_id().to_hex() != self.party {
            return Err(bad("names another party than its entry".into()));
        }
        let [sig] = signed.signatures.as_slice() else {
            return Err(bad("must carry the borrower's signature alone".into()));
        };
        subject
            .verify(ENTRY_SIG_DOMAIN, &entry_bytes(&signed.entry), sig)
            .map_err(|_| bad("is not signed by the borrower's key".into()))?;
        Ok((*subject, signed))
    }

    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ApiError::not_found(format!("cannot read {}: {e}", path.display())).caused_by(e)
        })?;
        serde_json::from_str(&text).map_err(|e| {
            ApiError::invalid(format!(
                "{} is not an enrolment request: {e}",
                path.display()
            ))
        })
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        crate::member::write_json(path, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileMember;

    fn member(name: &str, role: &str, id: &Identity) -> ProfileMember {
        let pk = id.public();
        ProfileMember {
            name: name.into(),
            role: role.into(),
            sign_key: hex::encode(pk.sign),
            enc_key: hex::encode(pk.enc),
            api: "127.0.0.1:7001".parse().unwrap(),
            tls_cert: None,
            tls_fingerprint: None,
        }
    }

    #[test]
    fn a_request_binds_the_borrower_the_lender_and_the_consortium() {
        let rng = &mut rand::rngs::OsRng;
        let (bank, other, agency, me) = (
            Identity::generate(rng),
            Identity::generate(rng),
            Identity::generate(rng),
            Identity::generate(rng),
        );
        let mut b = member("bank-b", "lender", &other);
        b.api = "127.0.0.1:7002".parse().unwrap();
        let profile = Profile {
            version: 1,
            consortium: "c".into(),
            genesis: "ab".repeat(32),
            members: vec![member("bank-a", "lender", &bank), b, {
                let mut a = member("agency", "agency", &agency);
                a.api = "127.0.0.1:7003".parse().unwrap();
                a
            }],
        };
        let req = EnrolRequest::create(&profile, &me, "bank-a").unwrap();
        let (who, signed) = req.check("c", &profile.genesis, &bank.party_id()).unwrap();
        assert_eq!(who, me.public());
        assert_eq!(signed.signatures.len(), 1);

        // Another lender, another consortium or genesis: refused.
        let e = req
            .check("c", &profile.genesis, &other.party_id())
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NotPermitted, "{e}");
        assert_eq!(
            req.check("d", &profile.genesis, &bank.party_id())
                .unwrap_err()
                .code,
            ErrorCode::NotPermitted
        );
        assert_eq!(
            req.check("c", &"cd".repeat(32), &bank.party_id())
                .unwrap_err()
                .code,
            ErrorCode::NotPermitted
        );
        // An entry signed by someone else than the borrower it names.
        let mut forged = req.clone();
        let mut e2 = sign_entry(
            Entry::SubjectEnrolled {
                subject: me.public(),
                lender: bank.party_id(),
            },
            &[&other],
        );
        forged.entry = hex::encode(to_bytes(&e2));
        let e = forged
            .check("c", &profile.genesis, &bank.party_id())
            .unwrap_err();
        assert!(e.message.contains("not signed by the borrower"), "{e}");
        // Cosigned already, or bytes flipped: refused.
        credence_ledger::encode::cosign_entry(&mut e2, &bank);
        forged.entry = hex::encode(to_bytes(&e2));
        assert!(forged
            .check("c", &profile.genesis, &bank.party_id())
            .is_err());
        let mut flipped = req.clone();
        let mut bytes = hex::decode(&req.entry).unwrap();
        bytes[5] ^= 0x01;
        flipped.entry = hex::encode(bytes);
        assert_eq!(
            flipped
                .check("c", &profile.genesis, &bank.party_id())
                .unwrap_err()
                .code,
            ErrorCode::InvalidInput
        );
        // Only a lender enrols.
        let e = EnrolRequest::create(&profile, &me, "agency").unwrap_err();
        assert!(e.message.contains("not a lender"), "{e}");
    }
}
