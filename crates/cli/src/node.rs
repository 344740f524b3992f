//! `credence node …`: member homes, genesis, running a node, membership.
use crate::args::*;
use crate::secrets::*;
use anyhow::{bail, Context, Result};
use credence_api::desk::regulator::membership_overview;
use credence_api::home::Home;
use credence_api::member::{self, GenesisFile, NodeInfo};
use credence_api::session::{MemberSession, MembershipOutcome};
use credence_api::{parse_id, ApiError, KdfParams, LedgerView, Role};

pub(crate) fn node_cmd(cmd: NodeCmd) -> Result<i32> {
    match cmd {
        NodeCmd::Init {
            home,
            name,
            role,
            p2p,
            api,
            tls_names,
        } => {
            let role = Role::parse(&role)
                .ok_or_else(|| ApiError::invalid("role must be agency, lender or regulator"))?;
            let info = member::init(
                &Home::new(&home),
                &name,
                role,
                &member::Addresses {
                    p2p,
                    api,
                    tls_names,
                },
                &passphrase()?,
                KdfParams::default(),
            )?;
            println!("{}", serde_json::to_string_pretty(&info)?);
            eprintln!(
                "created {} (keys in {}/keystore.json, public info in node.json)",
                name,
                home.display()
            );
            if let Some(f) = info.tls_fingerprint()? {
                eprintln!("client API TLS certificate, SHA-256 fingerprint: {f}");
            }
            Ok(0)
        }
        NodeCmd::Genesis {
            consortium,
            members,
            out,
            epoch_length,
            retention_days,
        } => {
            let infos: Vec<NodeInfo> = members
                .iter()
                .map(|p| {
                    let f = if p.is_dir() {
                        p.join(member::NODE_FILE)
                    } else {
                        p.clone()
                    };
                    let text = std::fs::read_to_string(&f)
                        .with_context(|| format!("reading {}", f.display()))?;
                    serde_json::from_str(&text)
                        .with_context(|| format!("{} is not a node.json", f.display()))
                })
                .collect::<Result<_>>()?;
            let now = credence_api::unix_now();
            let mut g = GenesisFile::create(&consortium, now, infos)?;
            if let Some(n) = epoch_length {
                g = g.with_epoch_length(n)?;
            }
            if let Some(d) = retention_days {
                g = g.with_retention_days(d)?;
            }
            g.write(&out)?;
            eprintln!(
                "wrote {}; every founding member now runs `credence node sign-genesis`",
                out.display()
            );
            Ok(0)
        }
        NodeCmd::SignGenesis { home, genesis } => {
            let me = Home::new(&home).unlock(&passphrase()?)?;
            let mut g = GenesisFile::read(&genesis)?;
            g.sign(&me.identity)?;
            g.write(&genesis)?;
            let missing: Vec<_> = g
                .members
                .iter()
                .zip(&g.signatures)
                .filter(|(_, s)| s.is_none())
                .map(|(m, _)| m.name.clone())
                .collect();
            eprintln!(
                "signed as {}; still to sign: {}",
                me.name,
                if missing.is_empty() {
                    "nobody".into()
                } else {
                    missing.join(", ")
                }
            );
            Ok(0)
        }
        NodeCmd::Operator(c) => crate::operator::node_operator_cmd(c),
        NodeCmd::Profile { genesis, out } => {
            let p = credence_api::profile::Profile::from_genesis(&GenesisFile::read(&genesis)?)?;
            p.write(&out)?;
            eprintln!(
                "wrote {} ({}, {} members); give it to the consortium's users",
                out.display(),
                p.consortium,
                p.members.len()
            );
            Ok(0)
        }
        NodeCmd::Run {
            home,
            genesis,
            auto_answer,
            keep_blocks,
            unfiltered,
            lie,
        } => {
            let lie = lie
                .map(|l| {
                    credence_api::member::Lie::parse(&l)
                        .ok_or_else(|| ApiError::invalid("--lie must be hide, forge or fork"))
                })
                .transpose()?;
            if keep_blocks < member::MIN_KEEP_BLOCKS {
                return Err(ApiError::invalid(format!(
                    "--keep-blocks must be at least {}: a member a little behind backfills from the blocks its peers keep",
                    member::MIN_KEEP_BLOCKS
                ))
                .into());
            }
            let opts = member::RunOptions {
                auto_answer,
                keep_blocks,
                unfiltered,
                lie,
            };
            member::run(&home, &genesis, &passphrase()?, opts, |s| {
                if !s.founding {
                    eprintln!(
                        "{} is not a founding member: it follows the consortium and validates once its admission takes effect",
                        s.info.name
                    );
                }
                let transport = match s.info.tls_fingerprint() {
                    Ok(Some(f)) if s.info.api.ip().is_loopback() => {
                        format!("TLS (SHA-256 {f}) and plain HTTP on loopback")
                    }
                    Ok(Some(f)) => format!("TLS only (SHA-256 {f})"),
                    _ => "plain HTTP on loopback only".into(),
                };
                eprintln!(
                    "{} ({}) running: p2p {}, client API {} over {transport}; Ctrl-C to stop",
                    s.info.name, s.info.role, s.info.p2p, s.info.api
                );
            })?;
            Ok(0)
        }
        NodeCmd::JoinRequest { home, genesis, out } => {
            let h = Home::new(&home);
            let me = h.unlock(&passphrase()?)?;
            let info = member::read_info(&h)?;
            let g = GenesisFile::read(&genesis)?;
            let req = member::JoinRequestFile::create(&me.identity, &info, &g.consortium)?;
            std::fs::write(&out, serde_json::to_string_pretty(&req)? + "\n")
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "wrote {}; a member proposes it with `credence node propose --admit {}`",
                out.display(),
                out.display()
            );
            Ok(0)
        }
        NodeCmd::RekeyRequest { home, since, out } => {
            let since = crate::borrower::parse_since(&since)?;
            let req =
                member::keys::RekeyRequestFile::create(&Home::new(&home), &passphrase()?, since)?;
            std::fs::write(&out, serde_json::to_string_pretty(&req)? + "\n")
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "wrote {}; the new key waits in the keystore. Another member proposes it with \
                 `credence node propose --rekey {}`; once 2/3 approve, the leaked key signs \
                 nothing, and from the next epoch this node runs with the new key",
                out.display(),
                out.display()
            );
            Ok(0)
        }
        NodeCmd::Propose {
            home,
            admit,
            remove,
            rekey,
            json,
        } => {
            let me = MemberSession::open(&home, &passphrase()?)?;
            let outcome = match (admit, remove, rekey) {
                (None, None, Some(file)) => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let req: member::keys::RekeyRequestFile = serde_json::from_str(&text)
                        .with_context(|| format!("{} is not a rekey request", file.display()))?;
                    me.propose_rekey(&req)?
                }
                (Some(file), None, None) => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let req: member::JoinRequestFile = serde_json::from_str(&text)
                        .with_context(|| format!("{} is not a join request", file.display()))?;
                    me.propose_admission(&req)?
                }
                (None, Some(name), None) => me.propose_removal(&name)?,
                _ => bail!("give --admit FILE, --remove NAME or --rekey FILE"),
            };
            report_membership(&outcome, json)
        }
        NodeCmd::Vote {
            home,
            proposal,
            reject,
            json,
        } => {
            let me = MemberSession::open(&home, &passphrase()?)?;
            let outcome = me.vote(&parse_id("proposal id", &proposal)?, !reject)?;
            report_membership(&outcome, json)
        }
        NodeCmd::Members { home, json } => {
            let view = LedgerView::open(&Home::new(&home).ledger())?;
            let m = membership_overview(&view)?;
            if json {
                let out = serde_json::json!({
                    "epoch": m.epoch,
                    "epoch_length": m.epoch_length,
                    "members": m.members.iter().map(|m| serde_json::json!({
                        "name": m.name, "role": m.role.as_str(), "party": m.party.to_hex(),
                    })).collect::<Vec<_>>(),
                    "next_epoch_members": m.next_epoch_members,
                    "proposals": m.proposals.iter().map(|p| serde_json::json!({
                        "proposal_id": hex::encode(p.proposal_id),
                        "proposer": p.proposer_name,
                        "change": p.change,
                        "status": p.status,
                        "effective_epoch": p.effective_epoch,
                        "votes": p.votes.iter().map(|(v, yes)| serde_json::json!({"voter": v, "approve": yes})).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!(
                    "epoch {} ({} blocks each); members in force:",
                    m.epoch, m.epoch_length
                );
                for m in &m.members {
                    println!(
                        "  {:<16} {:<10} {}",
                        m.name,
                        m.role.as_str(),
                        m.party.short()
                    );
                }
                for p in &m.proposals {
                    println!(
                        "proposal {}: {} by {} — {}{} ({} votes)",
                        hex::encode(p.proposal_id),
                        p.change,
                        p.proposer_name,
                        p.status,
                        p.effective_epoch
                            .map(|e| format!(", from epoch {e}"))
                            .unwrap_or_default(),
                        p.votes.len()
                    );
                }
            }
            Ok(0)
        }
    }
}

fn report_membership(o: &MembershipOutcome, json: bool) -> Result<i32> {
    let status = o.status.map(|s| s.as_str()).unwrap_or("unknown");
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "proposal_id": hex::encode(o.proposal_id), "action": o.action, "height": o.height,
                "status": status, "effective_epoch": o.effective_epoch,
            }))?
        );
    } else {
        println!(
            "{}: final at height {}; proposal {} is {status}{}",
            o.action,
            o.height,
            hex::encode(o.proposal_id),
            o.effective_epoch
                .map(|e| format!(", effective from epoch {e}"))
                .unwrap_or_default()
        );
    }
    Ok(0)
}
