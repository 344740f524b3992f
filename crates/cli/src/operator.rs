//! `credence operator …` (a member's staff on their own key) and
//! `credence node operator …` (the member registering them).
use crate::args::*;
use crate::secrets::*;
use anyhow::{Context, Result};
use credence_api::home::Home;
use credence_api::member::operators::{self, OperatorEntry, OperatorRole};
use credence_api::operator::OperatorSession;
use credence_api::profile::Profile;
use credence_api::{export, parse_id, ApiError, PartyId, Predicate};
use serde_json::json;

fn session(a: &OperatorArgs) -> Result<OperatorSession> {
    let me = unlock(&a.keys)?;
    Ok(OperatorSession::open(
        me,
        Profile::read(&a.profile)?,
        &a.member,
    )?)
}

pub(crate) fn operator_cmd(cmd: OperatorCmd) -> Result<i32> {
    match cmd {
        OperatorCmd::Ask {
            op,
            subject,
            predicate,
            record,
            timeout,
            json,
        } => {
            let s = session(&op)?;
            let subject = PartyId::from_hex(&subject).map_err(ApiError::from)?;
            let predicate: Predicate = predicate.parse().map_err(ApiError::from)?;
            let target = record.map(|r| parse_id("record id", &r)).transpose()?;
            let a = s.ask(
                &subject,
                predicate,
                target,
                std::time::Duration::from_secs(timeout),
            )?;
            if json {
                println!(
                    "{}",
                    json!({"query_id": hex::encode(a.query_id), "predicate": a.predicate,
                        "purpose": a.purpose, "holds": a.holds, "height": a.height})
                );
            } else {
                println!(
                    "\"{}\" for {}: {} (as {}'s node reports it)",
                    a.predicate,
                    a.purpose,
                    match a.holds {
                        Some(true) => "holds",
                        Some(false) => "does not hold",
                        None => "not answered yet",
                    },
                    op.member
                );
            }
            Ok(0)
        }
        OperatorCmd::Records { op, limit, json } => {
            let list = session(&op)?.records(limit as usize)?;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|r| {
                        json!({"record_id": hex::encode(r.record_id), "subject": r.subject.to_hex(),
                            "furnisher": r.furnisher_name, "kind": r.kind, "status": r.status,
                            "content": export::record_content(&r.payload), "problem": r.problem})
                    })
                    .collect();
                println!("{}", json!({ "records": rows }));
            } else {
                println!("{} records (opened with your key):", list.len());
                for r in &list {
                    println!(
                        "  {} {:<8} {:<8} from {} about {}{}",
                        hex::encode(r.record_id),
                        r.kind,
                        r.status,
                        r.furnisher_name,
                        r.subject.short(),
                        r.problem
                            .as_deref()
                            .map(|p| format!(" — {p}"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(0)
        }
        OperatorCmd::Furnish {
            op,
            csv,
            skip_bad,
            json,
        } => {
            let text = std::fs::read_to_string(&csv)
                .with_context(|| format!("reading {}", csv.display()))?;
            let s = session(&op)?;
            let report =
                crate::output::with_progress("furnish", json, |p| s.furnish(&text, skip_bad, p))?;
            crate::furnish::print_report(&report, json);
            Ok(0)
        }
        OperatorCmd::Alarms { op, json } => alarms_cmd(&op, json),
        OperatorCmd::Members { op, json } => members_cmd(&op, json),
        OperatorCmd::Queries { op, json } => {
            let list = session(&op)?.queries()?;
            if json {
                println!("{}", json!({ "queries": list }));
            } else {
                println!("{} questions:", list.len());
                for q in &list {
                    println!(
                        "  {} {} \"{}\" for {} → {}{}",
                        q["asked_at"],
                        q["requester"]
                            .as_str()
                            .unwrap_or("")
                            .get(..12)
                            .unwrap_or(""),
                        q["predicate"].as_str().unwrap_or(""),
                        q["purpose"].as_str().unwrap_or(""),
                        match q["holds"].as_bool() {
                            Some(true) => "holds",
                            Some(false) => "does not hold",
                            None => "open",
                        },
                        q["operator"]
                            .as_str()
                            .map(|o| format!(" (asked by operator {})", &o[..12.min(o.len())]))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(0)
        }
    }
}

fn alarms_cmd(op: &OperatorArgs, json: bool) -> Result<i32> {
    let list = session(op)?.alarms(credence_api::unix_now())?;
    if json {
        let rows: Vec<_> = list
            .iter()
            .map(|a| {
                json!({"code": a.code, "severity": a.severity.as_str(), "title": a.title,
                    "detail": a.detail, "subject": a.subject.map(|p| p.to_hex()),
                    "member": a.member.map(|p| p.to_hex())})
            })
            .collect();
        println!("{}", json!({ "alarms": rows }));
    } else if list.is_empty() {
        println!("no alarms");
    } else {
        for a in &list {
            println!("{}: {} — {}", a.severity.as_str(), a.title, a.detail);
        }
    }
    Ok(0)
}

fn members_cmd(op: &OperatorArgs, json: bool) -> Result<i32> {
    let m = session(op)?.membership()?;
    if json {
        let tenures: Vec<_> = m
            .tenures
            .iter()
            .map(|t| {
                json!({"name": t.name, "role": t.role.as_str(), "party": t.key.party_id().to_hex(),
                    "from_epoch": t.from, "until_epoch": t.until})
            })
            .collect();
        let changes: Vec<_> = m
            .changes
            .iter()
            .map(|c| json!({"name": c.name, "admitted": c.admitted, "epoch": c.epoch, "height": c.height}))
            .collect();
        println!(
            "{}",
            json!({"consortium": m.consortium, "epoch_length": m.epoch_length,
                "members": tenures, "changes": changes})
        );
    } else {
        println!(
            "{} (epochs of {} blocks), proven from f+1 members:",
            m.consortium, m.epoch_length
        );
        for t in &m.tenures {
            println!(
                "  {:<12} {:<10} {} {}",
                t.name,
                t.role.as_str(),
                t.key.party_id().short(),
                match t.until {
                    None => format!("since epoch {}", t.from),
                    Some(u) => format!("epochs {}–{} (removed)", t.from, u - 1),
                }
            );
        }
    }
    Ok(0)
}

fn entry_json(o: &OperatorEntry) -> serde_json::Value {
    json!({"name": o.name, "role": o.role.as_str(), "party": o.party().map(|p| p.to_hex()).ok(),
        "sign_key": o.sign_key, "enc_key": o.enc_key, "added_at": o.added_at,
        "retired_keys": o.retired.len()})
}

pub(crate) fn node_operator_cmd(cmd: NodeOperatorCmd) -> Result<i32> {
    match cmd {
        NodeOperatorCmd::Add {
            home,
            key,
            role,
            name,
        } => {
            let role = OperatorRole::parse(&role)
                .ok_or_else(|| ApiError::invalid("--role must be officer, analyst or auditor"))?;
            let public = operators::read_public_identity(&key)?;
            let op = operators::add(&Home::new(&home), &passphrase()?, public, &name, role)?;
            eprintln!(
                "{} ({}) may now act for this member as {}; the running node applies it at once",
                op.name,
                public.party_id().to_hex(),
                role.as_str()
            );
            Ok(0)
        }
        NodeOperatorCmd::Remove { home, key } => {
            let party = if std::path::Path::new(&key).exists() {
                operators::read_public_identity(std::path::Path::new(&key))?.party_id()
            } else {
                PartyId::from_hex(&key).map_err(ApiError::from)?
            };
            let gone = operators::remove(&Home::new(&home), &passphrase()?, &party)?;
            eprintln!("{} removed: its next request is refused", gone.name);
            Ok(0)
        }
        NodeOperatorCmd::List { home, json } => {
            let list = operators::list(&Home::new(&home))?;
            if json {
                let rows: Vec<_> = list.iter().map(entry_json).collect();
                println!("{}", json!({ "operators": rows }));
            } else {
                println!("{} operators:", list.len());
                for o in &list {
                    println!(
                        "  {:<16} {:<8} {}",
                        o.name,
                        o.role.as_str(),
                        o.party().map(|p| p.to_hex()).unwrap_or_default()
                    );
                }
            }
            Ok(0)
        }
    }
}
