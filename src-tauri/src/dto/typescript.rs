//! The TypeScript the UI imports for question kinds, generated from the one
//! Rust definition (`credence_ledger::predicate::PredicateKind`) so the two
//! cannot drift: `ui/src/generated/predicates.ts` is checked in, and a test
//! fails when it differs from what this renders. To update it:
//! `CREDENCE_WRITE_GENERATED=1 cargo test --workspace generated_typescript`.
use credence_api::{PredicateKind, Unit};

/// Where the generated file lives, from this crate's folder.
pub const PREDICATES_TS: &str = "../ui/src/generated/predicates.ts";

fn unit(u: Unit) -> &'static str {
    match u {
        Unit::Score => "score",
        Unit::Cents => "cents",
        Unit::Percent => "percent",
    }
}

/// `ui/src/generated/predicates.ts` as it must read.
pub fn predicates_ts() -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut out = String::from(
        "// Generated from crates/ledger/src/predicate.rs by src-tauri/src/dto/typescript.rs.\n\
         // Do not edit: CREDENCE_WRITE_GENERATED=1 cargo test --workspace generated_typescript\n\n",
    );
    let names: Vec<String> = PredicateKind::ALL.iter().map(|k| q(k.name())).collect();
    out += &format!("export type PredicateKind = {};\n\n", names.join(" | "));
    out += "export type Unit = \"score\" | \"cents\" | \"percent\";\n\n";
    out += "export interface PredicateParam { name: string; label: string; unit: Unit; min: number; max: number; default: string }\n\n";
    out += "export interface PredicateKindInfo { kind: PredicateKind; label: string; params: PredicateParam[]; target: boolean; syntax: string; reads: string }\n\n";
    out += "/** A question as the officer's form sends it: its parameters in `params` order (amounts in cents). */\n";
    out += "export interface PredicateDto { kind: PredicateKind; params: number[] }\n\n";
    out += "export const PREDICATE_KINDS: PredicateKindInfo[] = [\n";
    for k in PredicateKind::ALL {
        let params: Vec<String> = k
            .params()
            .iter()
            .map(|p| {
                format!(
                    "{{ name: {}, label: {}, unit: {}, min: {}, max: {}, default: {} }}",
                    q(p.name),
                    q(p.label),
                    q(unit(p.unit)),
                    p.min,
                    p.max,
                    q(p.default)
                )
            })
            .collect();
        out += &format!(
            "  {{ kind: {}, label: {}, params: [{}], target: {}, syntax: {}, reads: {} }},\n",
            q(k.name()),
            q(k.label()),
            params.join(", "),
            k.targeted(),
            q(&k.syntax()),
            q(k.reads())
        );
    }
    out += "];\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_typescript_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PREDICATES_TS);
        let want = predicates_ts();
        if std::env::var_os("CREDENCE_WRITE_GENERATED").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is not what the Rust definitions render; run \
             CREDENCE_WRITE_GENERATED=1 cargo test --workspace generated_typescript",
            path.display()
        );
    }
}
