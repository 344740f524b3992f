//! A borrower's own commands (`id`, `enrol-request`, `consent`, `records`,
//! `access-log`, `dispute`) and the lender's `enrol`: each parses, makes one
//! call into `credence_api` and prints.
use crate::args::*;
use crate::secrets::*;
use anyhow::Result;
use credence_api::borrower::BorrowerSession;
use credence_api::enrolment::EnrolRequest;
use credence_api::history::History;
use credence_api::home::Home;
use credence_api::own::{OwnSession, Rotated};
use credence_api::profile::Profile;
use credence_api::session::MemberSession;
use credence_api::{
    export, parse_id, AllowedPredicates, ApiError, DisputeReason, KdfParams, PredicateKind, Purpose,
};
use serde_json::{json, Value};

fn session(b: &BorrowerArgs) -> Result<BorrowerSession> {
    let profile = Profile::read(&b.profile)?;
    if b.keys.identity.is_some() {
        let me = unlock(&b.keys)?;
        return Ok(BorrowerSession::open(me, profile, b.via.as_deref())?);
    }
    // My keystore: my current key, and the retired ones for older records.
    let me = credence_api::own::unlock_settled(&Home::new(&b.keys.home), &passphrase()?, &profile)?;
    Ok(BorrowerSession::open(me.identity, profile, b.via.as_deref())?.with_retired(me.retired))
}

fn print(json: bool, value: serde_json::Value, text: impl FnOnce() -> String) {
    if json {
        println!("{value}");
    } else {
        println!("{}", text());
    }
}

pub(crate) fn id_cmd(cmd: IdCmd) -> Result<i32> {
    let (me, json) = match cmd {
        IdCmd::New { home, name, json } => {
            let a = Home::new(&home).create(&name, &passphrase()?, KdfParams::default())?;
            eprintln!(
                "created {} (keep your passphrase: nobody can recover it)",
                Home::new(&home).keystore().display()
            );
            (a.identity, json)
        }
        IdCmd::Show { keys, json } => (unlock(&keys)?, json),
    };
    let pk = me.public();
    print(
        json,
        json!({"party": me.party_id().to_hex(), "sign_key": hex::encode(pk.sign), "enc_key": hex::encode(pk.enc)}),
        || format!("your id: {}", me.party_id().to_hex()),
    );
    Ok(0)
}

pub(crate) fn enrol_request(a: EnrolRequestArgs) -> Result<i32> {
    let me = unlock(&a.keys)?;
    let req = EnrolRequest::create(&Profile::read(&a.profile)?, &me, &a.lender)?;
    req.write(&a.out)?;
    eprintln!(
        "wrote {}; give it to {}, who enrols you with `credence enrol --request {}`",
        a.out.display(),
        a.lender,
        a.out.display()
    );
    Ok(0)
}

pub(crate) fn enrol(a: EnrolArgs) -> Result<i32> {
    let member = MemberSession::open(&a.home, &passphrase()?)?;
    let (party, height) = member.enrol(&EnrolRequest::read(&a.request)?)?;
    print(
        a.json,
        json!({"party": party.to_hex(), "height": height}),
        || format!("enrolled {} (final at height {height})", party.to_hex()),
    );
    Ok(0)
}

fn questions(list: Option<&str>) -> Result<AllowedPredicates> {
    let Some(list) = list else {
        return Ok(AllowedPredicates::Any);
    };
    let kinds = list
        .split(',')
        .map(|n| {
            let n = n.trim();
            PredicateKind::from_name(n).ok_or_else(|| {
                let names: Vec<&str> = PredicateKind::ALL.iter().map(|k| k.name()).collect();
                ApiError::invalid(format!(
                    "--questions: {n:?} is not a question kind; use {}",
                    names.join(", ")
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AllowedPredicates::only(&kinds))
}

pub(crate) fn consent_cmd(cmd: ConsentCmd) -> Result<i32> {
    match cmd {
        ConsentCmd::Grant {
            borrower,
            to,
            purpose,
            questions: q,
            days,
            json,
        } => {
            let purpose = Purpose::parse(&purpose).ok_or_else(|| {
                ApiError::invalid(format!(
                    "--purpose: {purpose:?} is not a purpose (see --help)"
                ))
            })?;
            let questions = questions(q.as_deref())?;
            let s = session(&borrower)?;
            let id = s.grant(&to, purpose, questions, days)?;
            print(json, json!({"consent_id": hex::encode(id)}), || {
                format!(
                    "consent {} given to {to} for {} days",
                    hex::encode(id),
                    days
                )
            });
        }
        ConsentCmd::Revoke {
            borrower,
            consent,
            json,
        } => {
            let id = parse_id("consent id", &consent)?;
            let height = session(&borrower)?.revoke(&id)?;
            print(json, json!({"revoked": consent, "height": height}), || {
                format!("consent {consent} revoked (final at height {height})")
            });
        }
        ConsentCmd::List(BorrowerListArgs { borrower, json }) => {
            let s = session(&borrower)?;
            let now = credence_api::unix_now();
            let file = s.my_file()?;
            let list = &file.consents;
            if json {
                let rows: Vec<_> = list
                    .iter()
                    .map(|c| {
                        json!({"consent_id": hex::encode(c.consent_id), "grantee": c.grantee.to_hex(),
                            "grantee_name": c.grantee_name, "purpose": c.purpose, "questions": c.questions,
                            "explicit": c.explicit, "granted_at": c.granted_at,
                            "expires_at": c.expires_at, "revoked_at": c.revoked_at, "live": c.is_live(now)})
                    })
                    .collect();
                println!(
                    "{}",
                    json!({ "consents": rows, "frozen_since": file.frozen_since, "members": members_json(&file.history) })
                );
            } else {
                if let Some(at) = file.frozen_since {
                    println!(
                        "Your file is frozen (since {}): no new question about you is accepted.",
                        credence_api::demo::civil_date(at).0
                    );
                }
                println!(
                    "{} consents, each proven in a certified block (asked {}):",
                    list.len(),
                    asked(&file.history)
                );
                for c in list {
                    println!(
                        "  {} {:<12} {:<24} {:<8} {}",
                        hex::encode(c.consent_id),
                        c.grantee_name,
                        c.purpose,
                        if c.is_live(now) {
                            "live"
                        } else if c.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "expired"
                        },
                        c.questions.join(",")
                    );
                }
            }
            warn_liars(&file.history);
        }
    }
    Ok(0)
}

pub(crate) fn records(a: BorrowerListArgs) -> Result<i32> {
    let s = session(&a.borrower)?;
    let file = s.my_file()?;
    let list = &file.records;
    if a.json {
        let rows: Vec<_> = list
            .iter()
            .map(|r| {
                json!({"record_id": hex::encode(r.record_id), "furnisher": r.furnisher_name, "kind": r.kind,
                    "status": r.status, "compliance": r.compliance, "at": r.at,
                    "content": r.content.as_ref().map(export::record_content), "problem": r.problem})
            })
            .collect();
        println!(
            "{}",
            json!({ "party": s.party().to_hex(), "records": rows, "members": members_json(&file.history) })
        );
    } else {
        println!(
            "{} records about you, each proven in a certified block (asked {}):",
            list.len(),
            asked(&file.history)
        );
        for r in list {
            println!(
                "  {} {:<9} {:<10} from {}{}",
                hex::encode(r.record_id),
                r.kind,
                r.status,
                r.furnisher_name,
                r.problem
                    .as_ref()
                    .map(|p| format!(" — {p}"))
                    .unwrap_or_default()
            );
        }
    }
    warn_liars(&file.history);
    Ok(0)
}

/// How each asked member answered, for `--json`.
fn members_json(h: &History) -> Value {
    h.members
        .iter()
        .map(|m| {
            json!({"name": m.name, "listed": m.listed, "honest": m.honest(),
                "missing": m.missing.iter().map(hex::encode).collect::<Vec<_>>(),
                "refused": m.refused.iter().map(|(id, why)| json!({"entry_id": hex::encode(id), "why": why})).collect::<Vec<_>>(),
                "unreachable": m.unreachable})
        })
        .collect()
}

/// The members asked, by name.
fn asked(h: &History) -> String {
    h.members
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A warning on stderr for each asked member that did not answer, hid an
/// entry other members proved, or offered one that did not prove.
fn warn_liars(h: &History) {
    for m in h.members.iter().filter(|m| !m.honest()) {
        eprintln!(
            "warning: {} {}",
            m.name,
            match (&m.unreachable, m.missing.len(), m.refused.len()) {
                (Some(u), _, _) => format!("did not answer ({u})"),
                (None, missing, 0) =>
                    format!("hid {missing} entries about you that other members proved"),
                (None, 0, refused) => format!(
                    "offered {refused} entries that did not prove (forged, or from another chain)"
                ),
                (None, missing, refused) =>
                    format!("hid {missing} entries and offered {refused} that did not prove"),
            }
        );
    }
}

pub(crate) fn access_log(a: BorrowerListArgs) -> Result<i32> {
    let s = session(&a.borrower)?;
    let (log, checked) = s.verified_access_log()?;
    if a.json {
        let rows: Vec<_> = log
            .iter()
            .map(|e| json!({"at": e.at, "height": e.height, "who": e.who, "action": e.action, "detail": e.detail}))
            .collect();
        println!(
            "{}",
            json!({ "events": rows, "proven_entries": checked.entries.len(), "bytes": checked.bytes, "members": members_json(&checked) })
        );
    } else {
        println!(
            "{} events, each entry proven in a certified block (asked {}):",
            log.len(),
            asked(&checked)
        );
        for e in &log {
            println!("  {} {:<8} {:<12} {}", e.at, e.action, e.who, e.detail);
        }
    }
    warn_liars(&checked);
    Ok(0)
}

pub(crate) fn freeze(a: FreezeArgs) -> Result<i32> {
    let frozen = matches!(a.state, FreezeState::On);
    let height = session(&a.borrower)?.freeze(frozen)?;
    print(a.json, json!({"frozen": frozen, "height": height}), || {
        if frozen {
            format!(
                "your file is frozen (final at height {height}): no new question about you is \
                 accepted until you lift it with `credence freeze off`"
            )
        } else {
            format!("the freeze is lifted (final at height {height})")
        }
    });
    Ok(0)
}

/// The keystore's own identity (key changes apply to it, never to another
/// `--identity`), unlocked with a pending rotation settled, and its session
/// with the retired keys.
fn own_keystore_session(
    b: &BorrowerArgs,
    what: &str,
) -> Result<(Home, credence_api::Secret<String>, BorrowerSession)> {
    if b.keys.identity.is_some() {
        return Err(ApiError::invalid(format!("{what}: leave out --identity")).into());
    }
    let pass = passphrase()?;
    let profile = Profile::read(&b.profile)?;
    let home = Home::new(&b.keys.home);
    let me = credence_api::own::unlock_settled(&home, &pass, &profile)?;
    let s = BorrowerSession::open(me.identity, profile, b.via.as_deref())?.with_retired(me.retired);
    Ok((home, pass, s))
}

pub(crate) fn rotate(
    keys: KeystoreArgs,
    profile: Option<std::path::PathBuf>,
    via: Option<String>,
    json: bool,
) -> Result<i32> {
    let what = "rotate the keystore's own identity";
    if keys.identity.is_some() {
        return Err(ApiError::invalid(format!("{what}: leave out --identity")).into());
    }
    let home = Home::new(&keys.home);
    if home.dir.join(credence_api::member::NODE_FILE).exists() {
        if profile.is_some() || via.is_some() {
            return Err(ApiError::invalid(
                "a member's home rotates through its own node: leave out --profile and --via",
            )
            .into());
        }
        return rotate_member(&home, json);
    }
    let Some(profile) = profile else {
        return Err(ApiError::invalid(
            "--profile: the consortium profile is needed to reach the members' nodes",
        )
        .into());
    };
    let pass = passphrase()?;
    let mut s = OwnSession::open_keystore(&home, &pass, Profile::read(&profile)?, via.as_deref())?;
    let done = s.rotate_key(&home, &pass)?;
    let (party, key) = (s.party(), s.public());
    let mut out = json!({"party": party.to_hex(), "sign_key": hex::encode(key.sign),
        "enc_key": hex::encode(key.enc)});
    match &done {
        Rotated::OnLedger { height } => out["height"] = json!(height),
        Rotated::AtNode { member, retired_at } => {
            out["member"] = json!(member);
            out["retired_at"] = json!(retired_at);
        }
    }
    print(json, out, || match &done {
        Rotated::OnLedger { height } => format!(
            "your key is rotated (final at height {height}); your id stays {}. The keystore \
             keeps the old key, so your older records still open",
            party.to_hex()
        ),
        Rotated::AtNode { member, .. } => format!(
            "your key is rotated at {member}'s node; your id stays {}. The old key is refused \
             from now on; the keystore keeps it",
            party.to_hex()
        ),
    });
    Ok(0)
}

/// A member's rotation, through its own node: final now, in force from the
/// next epoch.
fn rotate_member(home: &Home, json: bool) -> Result<i32> {
    let pass = passphrase()?;
    let mut s = MemberSession::open(&home.dir, &pass)?;
    let (height, epoch) = s.rotate_key(&pass)?;
    let name = s.info().name.clone();
    print(
        json,
        json!({"member": name, "height": height, "effective_epoch": epoch}),
        || {
            format!(
                "{name}'s key rotation is final (height {height}) and takes effect at epoch \
                 {epoch}: until then the old key signs; then the running node restarts with the \
                 new key by itself. The keystore keeps the old key"
            )
        },
    );
    Ok(0)
}

pub(crate) fn incident(
    b: BorrowerArgs,
    what: IncidentWhat,
    declare_only: bool,
    json: bool,
) -> Result<i32> {
    let since = what.since.as_deref().map(parse_since).transpose()?;
    let (home, pass, mut s) =
        own_keystore_session(&b, "declare the keystore's own identity compromised")?;
    let height = match since {
        Some(since) => Some(s.declare_compromise(&home, &pass, since)?),
        None => None,
    };
    let resealed = if declare_only {
        0
    } else {
        crate::output::with_progress("re-seal", json, |p| s.reseal_leaked(p))?
    };
    print(
        json,
        json!({"party": s.party().to_hex(), "declared_at_height": height, "since": since,
            "resealed": resealed}),
        || {
            let head = match (height, since) {
                (Some(h), Some(t)) => format!(
                    "your old key is declared leaked as of {} (final at height {h}); you sign                      with a new key now, and the consents given since were revoked. ",
                    credence_api::demo::civil_date(t).0
                ),
                _ => String::new(),
            };
            if declare_only {
                format!("{head}Re-seal your records to the new key with `credence key incident --reseal`")
            } else {
                format!("{head}{resealed} record(s) re-sealed to your new key")
            }
        },
    );
    Ok(0)
}

/// `--since`: unix seconds, or a UTC date `YYYY-MM-DD` (its midnight).
pub(crate) fn parse_since(s: &str) -> Result<u64> {
    let s = s.trim();
    if let Ok(t) = s.parse::<u64>() {
        return Ok(t);
    }
    let bad = || {
        ApiError::invalid(format!(
            "--since: {s:?} is neither unix seconds nor a date YYYY-MM-DD"
        ))
    };
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts[..] else {
        return Err(bad().into());
    };
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad().into());
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let t = (days * 86_400) as u64;
    // Round-trips only for a real date (no 31 February).
    if credence_api::demo::civil_date(t).0 != s {
        return Err(bad().into());
    }
    Ok(t)
}

pub(crate) fn dispute_cmd(cmd: DisputeCmd) -> Result<i32> {
    let DisputeCmd::Open {
        borrower,
        record,
        reason,
        json,
    } = cmd;
    let reason = DisputeReason::parse(&reason).ok_or_else(|| {
        ApiError::invalid(format!(
            "--reason: {reason:?} is not a reason; use not-mine, wrong-balance, wrong-status, already-paid or other"
        ))
    })?;
    let rid = parse_id("record id", &record)?;
    let did = session(&borrower)?.dispute(&rid, reason)?;
    print(json, json!({"dispute_id": hex::encode(did)}), || {
        format!(
            "dispute {} opened; the furnisher must answer within 30 days",
            hex::encode(did)
        )
    });
    Ok(0)
}
