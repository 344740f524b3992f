//! The project's check of HPKE against RFC 9180: the base-mode test vector for
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305 (the suite sealed
//! records use), from tests/data/hpke-rfc9180-x25519-sha256-chacha20poly1305.json.
//!
//! The vector's intermediate values (shared_secret, key, base_nonce,
//! exporter_secret) are not reachable through hpke's public API; they are
//! checked indirectly: every ciphertext fixes key and base_nonce, every
//! exported value fixes exporter_secret, and both depend on shared_secret.
use credence_crypto::seal::{hpke_open, hpke_seal};
use credence_crypto::{Identity, Secret};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use rand_core::{CryptoRng, RngCore};
use serde_json::Value;

const VECTORS: &str = include_str!("data/hpke-rfc9180-x25519-sha256-chacha20poly1305.json");

/// RFC 9180 identifiers of the suite.
const KEM_X25519_HKDF_SHA256: u64 = 0x0020;
const KDF_HKDF_SHA256: u64 = 0x0001;
const AEAD_CHACHA20POLY1305: u64 = 0x0003;

/// An "RNG" that yields exactly the vector's ikmE once. hpke 0.12 derives the
/// ephemeral key as `derive_keypair(32 random bytes)` (`Kem::gen_keypair`,
/// src/kem.rs), so feeding it ikmE reproduces the vector's skEm/pkEm. Asking
/// for anything beyond those 32 bytes is a bug in this assumption: panic.
struct FixedIkm {
    ikm: Vec<u8>,
    used: bool,
}

impl FixedIkm {
    fn new(ikm: &[u8]) -> Self {
        assert_eq!(ikm.len(), 32, "X25519 ikm is 32 bytes");
        FixedIkm {
            ikm: ikm.to_vec(),
            used: false,
        }
    }
}

impl RngCore for FixedIkm {
    fn next_u32(&mut self) -> u32 {
        panic!("hpke asked for a u32; expected one 32-byte fill")
    }
    fn next_u64(&mut self) -> u64 {
        panic!("hpke asked for a u64; expected one 32-byte fill")
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        assert!(
            !self.used,
            "hpke asked for randomness twice; expected one 32-byte fill"
        );
        assert_eq!(
            dest.len(),
            self.ikm.len(),
            "hpke asked for a different amount of randomness"
        );
        dest.copy_from_slice(&self.ikm);
        self.used = true;
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

// Deterministic on purpose: only for reproducing a published test vector.
impl CryptoRng for FixedIkm {}

fn hx(v: &Value, field: &str) -> Vec<u8> {
    let s = v[field]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {field} missing or not a string"));
    hex::decode(s).unwrap_or_else(|e| panic!("vector field {field} is not hex: {e}"))
}

fn arr32(b: &[u8]) -> [u8; 32] {
    b.try_into().expect("32 bytes")
}

/// The single base-mode (mode 0) entry for our suite.
fn base_vector() -> Value {
    let all: Vec<Value> = serde_json::from_str(VECTORS).expect("vector file is JSON");
    let base: Vec<Value> = all
        .into_iter()
        .filter(|v| {
            v["mode"] == 0
                && v["kem_id"] == KEM_X25519_HKDF_SHA256
                && v["kdf_id"] == KDF_HKDF_SHA256
                && v["aead_id"] == AEAD_CHACHA20POLY1305
        })
        .collect();
    assert_eq!(
        base.len(),
        1,
        "expected exactly one base-mode vector for the suite"
    );
    base.into_iter().next().unwrap()
}

fn encryptions(v: &Value) -> &Vec<Value> {
    let e = v["encryptions"].as_array().expect("encryptions array");
    assert!(!e.is_empty(), "vector has no encryptions");
    e
}

fn exports(v: &Value) -> &Vec<Value> {
    let e = v["exports"].as_array().expect("exports array");
    assert!(!e.is_empty(), "vector has no exports");
    e
}

#[test]
fn derive_keypair_matches_vector() {
    let v = base_vector();
    let (sk_r, pk_r) = X25519HkdfSha256::derive_keypair(&hx(&v, "ikmR"));
    assert_eq!(
        sk_r.to_bytes().as_slice(),
        hx(&v, "skRm").as_slice(),
        "skRm"
    );
    assert_eq!(
        pk_r.to_bytes().as_slice(),
        hx(&v, "pkRm").as_slice(),
        "pkRm"
    );

    let (sk_e, pk_e) = X25519HkdfSha256::derive_keypair(&hx(&v, "ikmE"));
    assert_eq!(
        sk_e.to_bytes().as_slice(),
        hx(&v, "skEm").as_slice(),
        "skEm"
    );
    assert_eq!(
        pk_e.to_bytes().as_slice(),
        hx(&v, "pkEm").as_slice(),
        "pkEm"
    );
    // For DHKEM, enc is the serialised ephemeral public key.
    assert_eq!(hx(&v, "enc"), hx(&v, "pkEm"));
}

#[test]
fn sender_reproduces_enc_every_ciphertext_and_exports() {
    let v = base_vector();
    let pk_r = <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(&hx(&v, "pkRm")).unwrap();
    let mut rng = FixedIkm::new(&hx(&v, "ikmE"));
    let (enc, mut ctx) = hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
        &OpModeS::Base,
        &pk_r,
        &hx(&v, "info"),
        &mut rng,
    )
    .unwrap();
    assert!(
        rng.used,
        "the ephemeral key did not come from the fixed ikmE"
    );
    assert_eq!(enc.to_bytes().as_slice(), hx(&v, "enc").as_slice(), "enc");

    // Sequence numbers advance with each seal, so order matters.
    for (i, e) in encryptions(&v).iter().enumerate() {
        let ct = ctx.seal(&hx(e, "pt"), &hx(e, "aad")).unwrap();
        assert_eq!(hex::encode(ct), hex::encode(hx(e, "ct")), "encryption {i}");
    }
    for (i, x) in exports(&v).iter().enumerate() {
        let len = x["L"].as_u64().expect("L") as usize;
        let mut out = vec![0u8; len];
        ctx.export(&hx(x, "exporter_context"), &mut out).unwrap();
        assert_eq!(
            hex::encode(out),
            hex::encode(hx(x, "exported_value")),
            "sender export {i}"
        );
    }
}

#[test]
fn receiver_opens_every_ciphertext_and_exports() {
    let v = base_vector();
    let sk_r = <X25519HkdfSha256 as Kem>::PrivateKey::from_bytes(&hx(&v, "skRm")).unwrap();
    let enc = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&hx(&v, "enc")).unwrap();
    let mut ctx = hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &sk_r,
        &enc,
        &hx(&v, "info"),
    )
    .unwrap();
    for (i, e) in encryptions(&v).iter().enumerate() {
        let pt = ctx
            .open(&hx(e, "ct"), &hx(e, "aad"))
            .unwrap_or_else(|err| panic!("encryption {i}: {err}"));
        assert_eq!(pt, hx(e, "pt"), "encryption {i}");
    }
    for (i, x) in exports(&v).iter().enumerate() {
        let len = x["L"].as_u64().expect("L") as usize;
        let mut out = vec![0u8; len];
        ctx.export(&hx(x, "exporter_context"), &mut out).unwrap();
        assert_eq!(
            hex::encode(out),
            hex::encode(hx(x, "exported_value")),
            "receiver export {i}"
        );
    }
}

/// Our wrap code is single-shot (sequence number 0), so it can be checked
/// against the vector's first encryption, in both directions.
#[test]
fn crate_wrap_functions_match_vector() {
    let v = base_vector();
    let first = &encryptions(&v)[0];
    let (info, aad, pt, ct) = (
        hx(&v, "info"),
        hx(first, "aad"),
        hx(first, "pt"),
        hx(first, "ct"),
    );
    let enc = arr32(&hx(&v, "enc"));

    // Open a ciphertext produced by the vector's sender with the call `content_key` uses.
    let sk_r = Secret::new(arr32(&hx(&v, "skRm")));
    let opened = hpke_open(&sk_r, &enc, &info, &aad, &ct).unwrap();
    assert_eq!(opened.expose(), &pt);

    // Seal with the call `seal`/`wrap_for` use, ephemeral fixed to ikmE.
    let mut rng = FixedIkm::new(&hx(&v, "ikmE"));
    let (our_enc, our_ct) = hpke_seal(&arr32(&hx(&v, "pkRm")), &info, &aad, &pt, &mut rng).unwrap();
    assert_eq!(our_enc, enc, "enc");
    assert_eq!(hex::encode(our_ct), hex::encode(&ct), "ct");

    // Any altered input fails to open.
    let mut bad_ct = ct.clone();
    bad_ct[0] ^= 1;
    assert!(hpke_open(&sk_r, &enc, &info, &aad, &bad_ct).is_err());
    assert!(hpke_open(&sk_r, &enc, b"other info", &aad, &ct).is_err());
    assert!(hpke_open(&sk_r, &enc, &info, b"other aad", &ct).is_err());
    let mut bad_enc = enc;
    bad_enc[31] ^= 0x80;
    assert!(hpke_open(&sk_r, &bad_enc, &info, &aad, &ct).is_err());

    // An identity whose X25519 secret is skRm (x25519-dalek, as `Identity` uses)
    // has the vector's pkRm: our identity keys and hpke's agree.
    let mut both = [0u8; 64];
    both[..32].copy_from_slice(&[0x42; 32]);
    both[32..].copy_from_slice(sk_r.expose());
    let id = Identity::from_secret_bytes(&Secret::new(both));
    assert_eq!(id.public().enc.as_slice(), hx(&v, "pkRm").as_slice());
}
