//! `credence demo`: run the demo consortium and print its report.
use crate::args::*;
use crate::output::*;
use crate::secrets::*;
use anyhow::Result;
use credence_api::demo::{self, DemoOptions, DemoReport};
use credence_api::KdfParams;
use std::io::IsTerminal;

pub(crate) fn run(args: DemoArgs) -> Result<i32> {
    let DemoArgs {
        dir,
        subjects,
        csv,
        no_verify,
        local,
        keep_running,
        json,
    } = args;
    let mode = if local {
        demo::DemoMode::Local
    } else {
        demo::DemoMode::Processes {
            exe: std::env::current_exe()?,
        }
    };
    let opts = DemoOptions {
        dir,
        subjects,
        csv,
        passphrase: demo_passphrase(),
        kdf: KdfParams::default(),
        verify_files: !no_verify,
        mode,
    };
    let show = std::io::stderr().is_terminal();
    let pb = bar(0, show);
    let mut stage = "";
    let (report, mut consortium) = demo::run_and_keep(&opts, &mut |p| {
        if p.stage != stage {
            stage = p.stage;
            pb.set_prefix(p.stage);
            pb.set_length(p.total);
        }
        pb.set_position(p.done);
    })?;
    pb.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_demo(&report);
    }
    if keep_running && !consortium.processes.is_empty() {
        let procs = std::mem::take(&mut consortium.processes);
        eprintln!("the consortium keeps running; stop it with:");
        eprintln!(
            "  kill {}",
            procs
                .iter()
                .map(|p| p.child.id().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
        for p in &procs {
            eprintln!(
                "  {}: client API https://{} (its certificate is pinned in profile.json; log {})",
                p.name,
                p.api,
                p.log.display()
            );
        }
        std::mem::forget(procs); // the processes outlive us by design
    }
    drop(consortium);
    let ok = report.all_heads_equal
        && report.queries.iter().all(|q| q.verified)
        && report
            .members
            .iter()
            .all(|m| m.file_verified != Some(false));
    Ok(if ok { 0 } else { 1 })
}

pub(crate) fn print_demo(r: &DemoReport) {
    println!("Credence demo consortium in {}", r.directory);
    println!();
    println!("{:<10} {:<10} {:>7}  database", "member", "role", "height");
    for m in &r.members {
        println!(
            "{:<10} {:<10} {:>7}  {}",
            m.name, m.role, m.head_height, m.database
        );
    }
    println!();
    let c = &r.counts;
    println!(
        "subjects {}  records {}  consents {} ({} revoked)  scores {}  queries {}  answers {}  disputes {}  blocks {}",
        c.subjects, c.records, c.consents, c.revoked_consents, c.scores, c.queries, c.answers, c.disputes, c.blocks
    );
    let mut kinds: std::collections::BTreeMap<String, (u32, u32, u32)> = Default::default();
    for q in &r.queries {
        let k = q
            .predicate
            .split([' ', '<', '>'])
            .next()
            .unwrap_or("")
            .to_string();
        let e = kinds.entry(k).or_default();
        e.0 += 1;
        e.1 += q.answer as u32;
        e.2 += q.verified as u32;
    }
    println!();
    println!(
        "{:<24} {:>7} {:>7} {:>9}",
        "question", "asked", "holds", "verified"
    );
    for (k, (n, y, v)) in kinds {
        println!("{:<24} {:>7} {:>7} {:>9}", k, n, y, v);
    }
    println!();
    println!(
        "revocation: client refused {}, ledger refused {} ({})",
        r.revocation.refused_by_client, r.revocation.refused_by_ledger, r.revocation.ledger_reason
    );
    println!("all members agree on the head: {}", r.all_heads_equal);
    if r.members.iter().any(|m| m.file_verified.is_some()) {
        println!(
            "ledger files verified from genesis: {}",
            r.members
                .iter()
                .map(|m| format!(
                    "{} {}",
                    m.name,
                    if m.file_verified == Some(true) {
                        "ok"
                    } else {
                        "FAILED"
                    }
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "total {:.1} s: {}",
        r.total_ms as f64 / 1000.0,
        r.timings_ms
            .iter()
            .map(|(k, v)| format!("{k} {:.1}s", *v as f64 / 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
