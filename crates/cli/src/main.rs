//! `credence`: the command-line face of the API crate.
#![forbid(unsafe_code)]

mod args;
mod bench;
mod borrower;
mod demo_cmd;
mod furnish;
mod ledger_file;
mod node;
mod operator;
mod output;
mod query;
mod records;
mod secrets;

use anyhow::Result;
use args::*;
use clap::Parser;
use credence_api::ApiError;

fn main() {
    exit_quietly_when_the_reader_is_gone();
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
            | Cmd::Bench(
                BenchCmd::Ingest { json: true, .. } | BenchCmd::Questions { json: true, .. }
            )
            | Cmd::Query(QueryArgs { json: true, .. })
            | Cmd::Verify(VerifyArgs { json: true, .. })
            | Cmd::VerifyProof(VerifyProofArgs { json: true, .. })
            | Cmd::MyRecords(MyRecordsArgs { json: true, .. })
            | Cmd::Id(IdCmd::New { json: true, .. } | IdCmd::Show { json: true, .. })
            | Cmd::Enrol(EnrolArgs { json: true, .. })
            | Cmd::Furnish(FurnishArgs { json: true, .. })
            | Cmd::Consent(
                ConsentCmd::Grant { json: true, .. }
                    | ConsentCmd::Revoke { json: true, .. }
                    | ConsentCmd::List(BorrowerListArgs { json: true, .. })
            )
            | Cmd::Records(BorrowerListArgs { json: true, .. })
            | Cmd::AccessLog(BorrowerListArgs { json: true, .. })
            | Cmd::Dispute(DisputeCmd::Open { json: true, .. })
            | Cmd::Freeze(FreezeArgs { json: true, .. })
            | Cmd::Key(KeyCmd::Rotate { json: true, .. } | KeyCmd::Incident { json: true, .. })
            | Cmd::Erase(EraseArgs { json: true, .. })
            | Cmd::Reseal(ResealArgs { json: true, .. })
            | Cmd::Operator(
                OperatorCmd::Ask { json: true, .. }
                    | OperatorCmd::Records { json: true, .. }
                    | OperatorCmd::Queries { json: true, .. }
                    | OperatorCmd::Alarms { json: true, .. }
                    | OperatorCmd::Members { json: true, .. }
                    | OperatorCmd::Furnish { json: true, .. }
            )
            | Cmd::Node(NodeCmd::Operator(NodeOperatorCmd::List { json: true, .. }))
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
/// something. An API error's sentence already says what its source says,
/// so the chain is not followed below it.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if !text.contains(&c) {
            text = if text.is_empty() {
                c
            } else {
                format!("{text}: {c}")
            };
        }
        if cause.is::<ApiError>() {
            break;
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
        Cmd::Bench(BenchCmd::History {
            dir,
            blocks,
            every,
            runs,
            json,
        }) => bench::history(&dir, blocks, every, runs as usize, json),
        Cmd::Bench(BenchCmd::Ingest {
            dir,
            records,
            chunk,
            json,
        }) => bench::ingest(&dir, records as usize, chunk as usize, json),
        Cmd::Bench(BenchCmd::Questions {
            dir,
            count,
            down,
            json,
        }) => bench::questions(&dir, count as usize, down.as_deref(), json),
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
        Cmd::Id(c) => borrower::id_cmd(c),
        Cmd::EnrolRequest(a) => borrower::enrol_request(a),
        Cmd::Enrol(a) => borrower::enrol(a),
        Cmd::Furnish(a) => furnish::run(a),
        Cmd::Erase(a) => furnish::erase(a),
        Cmd::Reseal(a) => furnish::reseal(a),
        Cmd::Consent(c) => borrower::consent_cmd(c),
        Cmd::Records(a) => borrower::records(a),
        Cmd::AccessLog(a) => borrower::access_log(a),
        Cmd::Dispute(c) => borrower::dispute_cmd(c),
        Cmd::Freeze(a) => borrower::freeze(a),
        Cmd::Key(KeyCmd::Rotate {
            keys,
            profile,
            via,
            json,
        }) => borrower::rotate(keys, profile, via, json),
        Cmd::Key(KeyCmd::Incident {
            borrower,
            what,
            declare_only,
            json,
        }) => borrower::incident(borrower, what, declare_only, json),
        Cmd::Operator(c) => operator::operator_cmd(c),
    }
}

/// A reader that went away (`credence … | head`) ends the output as it does
/// for any Unix tool: exit 141 (128 + SIGPIPE), not a panic message. Rust
/// ignores SIGPIPE, so `println!` panics on the broken pipe instead.
fn exit_quietly_when_the_reader_is_gone() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default_hook(info);
    }));
}
