//! Property tests: whatever a client puts in headers, query strings or a
//! submission body is refused with an error, never a panic.
use credence_crypto::{Identity, PartyId, Secret};
use credence_node::auth::{
    check_headers, sign_request, H_BODY, H_KEY, H_NODE, H_NONCE, H_SIG, H_TIME,
};
use credence_node::client_api::routes::{number, params, parse_submission};
use proptest::prelude::*;
use std::collections::HashMap;

const NAMES: [&str; 6] = [H_KEY, H_TIME, H_NONCE, H_NODE, H_BODY, H_SIG];

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_headers_are_refused(values in proptest::collection::vec(proptest::option::of("\\PC{0,140}"), 6), path in "\\PC{0,40}", now in any::<u64>()) {
        let h: HashMap<&str, String> = NAMES.iter().zip(values).filter_map(|(n, v)| v.map(|v| (*n, v))).collect();
        let node = PartyId([7; 32]);
        prop_assert!(check_headers(|n| h.get(n).map(|s| s.as_str()), "GET", &path, &node, now).is_err());
    }

    #[test]
    fn one_changed_header_breaks_a_signed_request(which in 0usize..6, at in any::<prop::sample::Index>(), to in "[0-9a-f]") {
        let me = Identity::from_secret_bytes(&Secret::new([3; 64]));
        let node = PartyId([7; 32]);
        let mut h: HashMap<&str, String> = sign_request(&me, &node, "POST", "/v1/submit", 1_000, &[5; 16], b"{}")
            .into_iter()
            .collect();
        let v = h.get_mut(NAMES[which]).unwrap();
        let i = at.index(v.len());
        let old = v.clone();
        v.replace_range(i..i + 1, &to);
        prop_assume!(*v != old);
        prop_assert!(check_headers(|n| h.get(n).map(|s| s.as_str()), "POST", "/v1/submit", &node, 1_000).is_err());
    }

    #[test]
    fn arbitrary_submissions_are_refused_or_parsed(body in proptest::collection::vec(any::<u8>(), 0..400), json in "\\{\"entries\":\\[(\"[0-9a-f]{0,40}\",?){0,3}\\](,\"wait_ms\":-?[0-9]{1,22})?\\}") {
        let _ = parse_submission(&body, 120_000);
        let _ = parse_submission(json.as_bytes(), 120_000);
    }

    #[test]
    fn arbitrary_query_strings_are_refused_or_parsed(q in "\\PC{0,60}", n in "\\PC{0,25}") {
        let _ = params(Some(&q), &["after", "wait_ms"]);
        if let Ok(v) = number("after", &n, i64::MAX as u64) {
            prop_assert!(v <= i64::MAX as u64);
            prop_assert_eq!(v.to_string(), n);
        }
    }
}
