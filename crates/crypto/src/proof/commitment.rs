//! Pedersen commitments on Ristretto (bulletproofs' generators) and their openings.
use super::*;

/// A compressed Ristretto point `v·B + r·B̃` (bulletproofs' `PedersenGens::default()`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Commitment(pub [u8; 32]);

impl std::fmt::Debug for Commitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Commitment({}…)", hex::encode(&self.0[..6]))
    }
}

/// The opening of a commitment. Travels only inside sealed payloads.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, zeroize::Zeroize)]
pub struct Opening {
    pub value: u64,
    /// Canonical Ristretto scalar bytes.
    pub blinding: [u8; 32],
}

impl std::fmt::Debug for Opening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Opening(<redacted>)")
    }
}

pub(super) struct Gens {
    pub(super) pc: PedersenGens,
    pub(super) bp: BulletproofGens,
}

/// Building the Bulletproofs generators hashes 64×8×2 points; do it once per process.
pub(super) fn gens() -> &'static Gens {
    static GENS: OnceLock<Gens> = OnceLock::new();
    GENS.get_or_init(|| Gens {
        pc: PedersenGens::default(),
        bp: BulletproofGens::new(PREDICATE_BITS, MAX_VALIDITY_FIELDS),
    })
}

/// Commit to `value` with a fresh random blinding.
pub fn commit<R: RngCore + CryptoRng>(value: u64, rng: &mut R) -> (Commitment, Opening) {
    let blinding = Scalar::random(rng);
    let point = gens().pc.commit(Scalar::from(value), blinding);
    (
        Commitment(point.compress().to_bytes()),
        Opening {
            value,
            blinding: blinding.to_bytes(),
        },
    )
}

/// The commitment an opening opens.
pub fn commitment_of(opening: &Opening) -> Result<Commitment, CryptoError> {
    let blinding = blinding_scalar(opening)?;
    Ok(Commitment(
        gens()
            .pc
            .commit(Scalar::from(opening.value), blinding)
            .compress()
            .to_bytes(),
    ))
}

pub(super) fn blinding_scalar(opening: &Opening) -> Result<Scalar, CryptoError> {
    Option::from(Scalar::from_canonical_bytes(opening.blinding)).ok_or_else(|| {
        CryptoError::Malformed {
            what: "opening",
            why: "blinding is not a canonical Ristretto scalar".into(),
        }
    })
}
