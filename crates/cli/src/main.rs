//! `credence`: the command-line face of the API crate.
#![forbid(unsafe_code)]

mod args;
mod bench;
mod demo_cmd;
mod ledger_file;
mod node;
mod output;
mod query;
mod records;
mod secrets;

use anyhow::Result;
use args::*;
use clap::Parser;
use credence_api::ApiError;

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let cli = Cli::parse();
    let json = matches!(
        &cli.cmd,
        Cmd::Demo(DemoArgs { json: true, .. })
            | Cmd::Query(QueryArgs { json: true, .. })
            | Cmd::Verify(VerifyArgs { json: true, .. })
            | Cmd::VerifyProof(VerifyProofArgs { json: true, .. })
            | Cmd::MyRecords(MyRecordsArgs { json: true, .. })
    );
    match run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            let code = e
                .downcast_ref::<ApiError>()
                .map(|a| a.code.as_str())
                .unwrap_or("error");
            if json {
                println!(
                    "{}",
                    serde_json::json!({"error": {"code": code, "message": error_text(&e)}})
                );
            } else {
                eprintln!("error: {}", error_text(&e));
            }
            std::process::exit(2);
        }
    }
}

/// The error and its causes in one line, each cause only where it adds
/// something (an API error's sentence usually already says its cause).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text = format!("{text}: {c}");
        }
    }
    text
}

fn run(cli: Cli) -> Result<i32> {
    match cli.cmd {
        Cmd::Node(cmd) => node::node_cmd(cmd),
        Cmd::Bench(BenchCmd::Flood {
            dir,
            stalled,
            polls,
            seconds,
            json,
        }) => bench::flood(&dir, stalled as usize, polls as usize, seconds, json),
        Cmd::Query(QueryArgs {
            home,
            subject,
            predicate,
            record,
            timeout,
            json,
        }) => query::query(
            &home,
            &subject,
            &predicate,
            record.as_deref(),
            timeout,
            json,
        ),
        Cmd::Demo(a) => demo_cmd::run(a),
        Cmd::Verify(a) => ledger_file::verify(a),
        Cmd::ExportProof(a) => ledger_file::export_proof(a),
        Cmd::VerifyProof(a) => ledger_file::verify_proof(a),
        Cmd::ExportRecord(a) => records::export_record(a),
        Cmd::ExportAgeIdentity(a) => records::export_age_identity(a),
        Cmd::MyRecords(a) => records::my_records(a),
    }
}
