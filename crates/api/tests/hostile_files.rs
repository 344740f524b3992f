//! Property tests: genesis files and node.json files from a hostile source
//! are refused with an error, never a panic.
use credence_api::home::Home;
use credence_api::member::{self, GenesisFile};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_genesis_and_node_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), json in "\\{(\"(consortium|created_at|members|signatures|epoch_length|name|role|sign_key|enc_key|p2p|api)\":(\"[0-9a-f:.]{0,70}\"|[0-9]{1,22}|-1|null|\\[\\]|\\[\\{\\}\\]),?){0,8}\\}") {
        let dir = tempfile::tempdir().unwrap();
        for content in [bytes, json.into_bytes()] {
            let g = dir.path().join("genesis.json");
            std::fs::write(&g, &content).unwrap();
            if let Ok(g) = GenesisFile::read(&g) {
                let _ = g.signed_entry();
            }
            std::fs::write(dir.path().join(member::NODE_FILE), &content).unwrap();
            if let Ok(info) = member::read_info(&Home::new(dir.path())) {
                let _ = info.public();
            }
        }
    }
}
