use super::*;
use serde_json::Value;

const FAST: KdfParams = KdfParams {
    m_cost_kib: 64,
    t_cost: 1,
    p_cost: 1,
};

fn pass(s: &str) -> Secret<String> {
    Secret::new(s.to_string())
}

fn three() -> Vec<(String, Identity)> {
    ["member", "subject-7", "ünïcode \"quoted\""]
        .iter()
        .map(|l| (l.to_string(), Identity::generate(&mut OsRng)))
        .collect()
}

fn assert_same(a: &[(String, Identity)], b: &[(String, Identity)]) {
    assert_eq!(a.len(), b.len());
    for ((la, ia), (lb, ib)) in a.iter().zip(b) {
        assert_eq!(la, lb);
        assert_eq!(ia.public(), ib.public());
        assert_eq!(ia.secret_bytes().expose(), ib.secret_bytes().expose());
    }
}

fn edit(path: &Path, f: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    f(&mut v);
    fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
}

fn keystore_err(r: Result<Vec<(String, Identity)>, CryptoError>) -> String {
    match r {
        Err(CryptoError::Keystore(m)) => m,
        other => panic!(
            "expected a Keystore error, got {:?}",
            other.map(|v| v.len())
        ),
    }
}

#[test]
fn round_trip_three_identities() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let entries = three();
    write(&path, &pass("correct horse"), &entries, FAST).unwrap();
    let back = read(&path, &pass("correct horse")).unwrap();
    assert_same(&entries, &back);
}

#[test]
fn round_trip_with_default_params() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let entries = three();
    write(
        &path,
        &pass("correct horse"),
        &entries,
        KdfParams::default(),
    )
    .unwrap();
    let v: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["kdf"]["m_cost_kib"], 19 * 1024);
    assert_eq!(v["kdf"]["t_cost"], 2);
    assert_same(&entries, &read(&path, &pass("correct horse")).unwrap());
}

#[test]
fn empty_keystore_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    write(&path, &pass("pw"), &[], FAST).unwrap();
    assert!(read(&path, &pass("pw")).unwrap().is_empty());
}

#[test]
fn file_layout_is_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    write(&path, &pass("pw"), &three(), FAST).unwrap();
    let v: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["format"], "credence-keystore");
    assert_eq!(v["version"], 1);
    assert_eq!(v["kdf"]["alg"], "argon2id");
    assert_eq!(v["kdf"]["m_cost_kib"], 64);
    assert_eq!(v["kdf"]["t_cost"], 1);
    assert_eq!(v["kdf"]["p_cost"], 1);
    assert_eq!(v["kdf"]["salt"].as_str().unwrap().len(), 32);
    assert_eq!(v["nonce"].as_str().unwrap().len(), 24);
    assert!(hex::decode(v["ciphertext"].as_str().unwrap()).is_ok());
}

#[test]
fn wrong_passphrase_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    write(&path, &pass("right-pass-1"), &three(), FAST).unwrap();
    let err = read(&path, &pass("guess-pass-2")).unwrap_err();
    assert_eq!(err, CryptoError::WrongPassphrase);
    let msg = err.to_string();
    assert!(!msg.contains("pass-1") && !msg.contains("pass-2"), "{msg}");
    // The right passphrase still opens it: the failed attempt changed nothing.
    assert_eq!(read(&path, &pass("right-pass-1")).unwrap().len(), 3);
}

#[test]
fn empty_passphrase_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let expected = CryptoError::Keystore("passphrase must not be empty".into());
    assert_eq!(
        write(&path, &pass(""), &three(), FAST).unwrap_err(),
        expected
    );
    assert!(!path.exists());
    write(&path, &pass("pw"), &three(), FAST).unwrap();
    assert_eq!(read(&path, &pass("")).unwrap_err(), expected);
}

#[test]
fn every_altered_byte_of_ciphertext_nonce_and_salt_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let entries: Vec<_> = three().into_iter().take(1).collect();
    write(&path, &pass("pw"), &entries, FAST).unwrap();
    let original = fs::read(&path).unwrap();
    let v: Value = serde_json::from_slice(&original).unwrap();

    type Field = fn(&mut Value) -> &mut Value;
    let fields: [(&str, Field); 3] = [
        ("ciphertext", |v| &mut v["ciphertext"]),
        ("nonce", |v| &mut v["nonce"]),
        ("salt", |v| &mut v["kdf"]["salt"]),
    ];
    for (name, field) in fields {
        let bytes = hex::decode(field(&mut v.clone()).as_str().unwrap()).unwrap();
        for i in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[i] ^= 0x01;
            let mut w = v.clone();
            *field(&mut w) = Value::String(hex::encode(&altered));
            fs::write(&path, serde_json::to_vec(&w).unwrap()).unwrap();
            assert_eq!(
                read(&path, &pass("pw")).unwrap_err(),
                CryptoError::WrongPassphrase,
                "{name} byte {i} altered"
            );
        }
    }
    fs::write(&path, &original).unwrap();
    assert_same(&entries, &read(&path, &pass("pw")).unwrap());
}

#[test]
fn altered_kdf_params_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    write(&path, &pass("pw"), &three(), FAST).unwrap();
    let original = fs::read(&path).unwrap();
    // Within the accepted range: the AAD no longer matches.
    for (field, value) in [
        ("m_cost_kib", 65),
        ("m_cost_kib", 32),
        ("t_cost", 2),
        ("p_cost", 2),
    ] {
        fs::write(&path, &original).unwrap();
        edit(&path, |v| v["kdf"][field] = value.into());
        assert_eq!(
            read(&path, &pass("pw")).unwrap_err(),
            CryptoError::WrongPassphrase,
            "{field}={value}"
        );
    }
    // Below the floor: refused before any key derivation.
    fs::write(&path, &original).unwrap();
    edit(&path, |v| v["kdf"]["m_cost_kib"] = 4.into());
    assert!(keystore_err(read(&path, &pass("pw"))).contains("m_cost_kib 4"));
    fs::write(&path, &original).unwrap();
    edit(&path, |v| v["kdf"]["t_cost"] = 0.into());
    assert!(keystore_err(read(&path, &pass("pw"))).contains("t_cost 0"));
    fs::write(&path, &original).unwrap();
    edit(&path, |v| v["version"] = 2.into());
    assert!(keystore_err(read(&path, &pass("pw"))).contains("unsupported keystore version 2"));
}

#[test]
fn hostile_kdf_params_are_refused_without_running_the_kdf() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    write(&path, &pass("pw"), &three(), FAST).unwrap();
    let original = fs::read(&path).unwrap();
    // 4 TiB of memory, or an hour of hashing, must fail at once.
    for (field, value) in [
        ("m_cost_kib", u64::from(u32::MAX)),
        ("m_cost_kib", u64::from(MAX_M_COST_KIB) + 1),
        ("t_cost", u64::from(u32::MAX)),
        ("p_cost", 1_000_000),
    ] {
        fs::write(&path, &original).unwrap();
        edit(&path, |v| v["kdf"][field] = value.into());
        let t = std::time::Instant::now();
        let msg = keystore_err(read(&path, &pass("pw")));
        assert!(
            msg.contains("kdf parameters refused") && msg.contains(field),
            "{msg}"
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
    }
    // Writing refuses the same values, so we never produce an unreadable file.
    let too_big = KdfParams {
        m_cost_kib: MAX_M_COST_KIB + 1,
        ..FAST
    };
    assert!(matches!(
        write(&path, &pass("pw"), &three(), too_big),
        Err(CryptoError::Keystore(_))
    ));
    let too_small = KdfParams {
        m_cost_kib: 7,
        ..FAST
    };
    assert!(matches!(
        write(&path, &pass("pw"), &three(), too_small),
        Err(CryptoError::Keystore(_))
    ));
}

#[test]
fn unreadable_and_foreign_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let msg = keystore_err(read(&path, &pass("pw")));
    assert!(
        msg.starts_with(&format!("cannot read {}: ", path.display())),
        "{msg}"
    );

    // An oversized file is refused from its length alone (sparse: no disk used).
    fs::File::create(&path)
        .unwrap()
        .set_len(MAX_FILE_BYTES + 1)
        .unwrap();
    assert!(keystore_err(read(&path, &pass("pw"))).contains("is not a keystore"));

    fs::write(&path, b"not json").unwrap();
    assert!(keystore_err(read(&path, &pass("pw"))).contains("invalid JSON"));
    fs::write(&path, br#"{"format":"something-else","version":1}"#).unwrap();
    assert!(keystore_err(read(&path, &pass("pw"))).contains("unknown format \"something-else\""));
    fs::write(&path, br#"{"hello":"world"}"#).unwrap();
    assert!(keystore_err(read(&path, &pass("pw"))).contains("no \"format\" field"));

    write(&path, &pass("pw"), &three(), FAST).unwrap();
    let original = fs::read(&path).unwrap();
    edit(&path, |v| v["kdf"]["alg"] = "scrypt".into());
    assert!(keystore_err(read(&path, &pass("pw"))).contains("unsupported kdf \"scrypt\""));
    fs::write(&path, &original).unwrap();
    edit(&path, |v| v["kdf"]["salt"] = "abcd".into());
    assert!(keystore_err(read(&path, &pass("pw"))).contains("salt is not 16 bytes"));
    fs::write(&path, &original).unwrap();
    edit(&path, |v| {
        v.as_object_mut().unwrap().remove("nonce");
    });
    assert!(keystore_err(read(&path, &pass("pw"))).contains("nonce"));
}

#[test]
fn duplicate_labels_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let mut entries = three();
    entries[2].0 = entries[0].0.clone();
    let msg = match write(&path, &pass("pw"), &entries, FAST) {
        Err(CryptoError::Keystore(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(msg.contains("duplicate label \"member\""), "{msg}");
}

#[cfg(unix)]
#[test]
fn file_mode_is_0600_and_write_is_atomic() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    // An existing world-readable file is replaced, not rewritten in place.
    fs::write(&path, b"old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let entries = three();
    write(&path, &pass("pw"), &entries, FAST).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_same(&entries, &read(&path, &pass("pw")).unwrap());
    // No temporary file is left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("keys.json")]);
    // A path in a missing directory fails with the path named.
    let bad = dir.path().join("missing").join("keys.json");
    match write(&bad, &pass("pw"), &entries, FAST) {
        Err(CryptoError::Keystore(m)) => assert!(
            m.starts_with(&format!("cannot write {}", bad.display())),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn file_contains_no_secret_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.json");
    let entries = three();
    write(&path, &pass("hunter2-passphrase"), &entries, FAST).unwrap();
    let file = fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&file).to_lowercase();
    assert!(!text.contains("hunter2"));
    for (_, id) in &entries {
        let sb = id.secret_bytes();
        for part in [&sb.expose()[..32], &sb.expose()[32..]] {
            assert!(
                !text.contains(&hex::encode(part)),
                "secret hex found in file"
            );
            assert!(
                !file.windows(part.len()).any(|w| w == part),
                "raw secret found in file"
            );
            // Not even an 8-byte window of either key, in hex or raw.
            for w in part.windows(8) {
                assert!(!text.contains(&hex::encode(w)));
                assert!(!file.windows(8).any(|f| f == w));
            }
        }
    }
}

#[test]
fn a_rotated_identity_keeps_its_party_through_the_keystore() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ks.json");
    let first = Identity::generate(&mut OsRng);
    let next = first.rotated(&mut OsRng);
    assert_eq!(next.party_id(), first.party_id());
    assert_ne!(next.public(), first.public());
    assert!(next.is_rotated() && !first.is_rotated());
    let entries = vec![("me".to_string(), next.clone()), ("old".to_string(), first)];
    write(&path, &pass("correct horse"), &entries, FAST).unwrap();
    let back = read(&path, &pass("correct horse")).unwrap();
    assert_same(&entries, &back);
    assert_eq!(back[0].1.party_id(), next.party_id());
    assert!(back[0].1.is_rotated());
    assert!(!back[1].1.is_rotated());
}
