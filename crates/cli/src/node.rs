//! `credence node …`: member homes, genesis, running a node, membership.
use crate::args::*;
use crate::secrets::*;
use anyhow::{anyhow, bail, Context, Result};
use credence_api::crypto::keystore::KdfParams;
use credence_api::crypto::PartyId;
use credence_api::ledger::{read, Ledger};
use credence_api::{parse_id, ApiError};
use std::path::Path;

pub(crate) fn node_cmd(cmd: NodeCmd) -> Result<i32> {
    use credence_api::home::Home;
    use credence_api::member::{self, GenesisFile, NodeInfo};
    match cmd {
        NodeCmd::Init {
            home,
            name,
            role,
            p2p,
            api,
        } => {
            let role = credence_api::ledger::Role::parse(&role)
                .ok_or_else(|| ApiError::invalid("role must be agency, lender or regulator"))?;
            let info = member::init(
                &Home::new(&home),
                &name,
                role,
                p2p,
                api,
                &passphrase()?,
                KdfParams::default(),
            )?;
            println!("{}", serde_json::to_string_pretty(&info)?);
            eprintln!(
                "created {} (keys in {}/keystore.json, public info in node.json)",
                name,
                home.display()
            );
            Ok(0)
        }
        NodeCmd::Genesis {
            consortium,
            members,
            out,
            epoch_length,
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
            let now = credence_api::ledger::clock::unix_now();
            let mut g = GenesisFile::create(&consortium, now, infos)?;
            if let Some(n) = epoch_length {
                g = g.with_epoch_length(n)?;
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
        NodeCmd::Run {
            home,
            genesis,
            auto_answer,
            unfiltered,
        } => {
            use credence_api::node::{client::NodeClient, consensus::Validator, service};
            let h = Home::new(&home);
            let me = h.unlock(&passphrase()?)?;
            let info = member::read_info(&h)?;
            let g = GenesisFile::read(&genesis)?;
            let signed = g.signed_entry()?;
            if !g.members.iter().any(|m| m.sign_key == info.sign_key) {
                eprintln!(
                    "{} is not a founding member: it follows the consortium and validates once its admission takes effect",
                    info.name
                );
            }
            let validators = g
                .members
                .iter()
                .map(|m| {
                    Ok(Validator {
                        key: m.public()?.sign,
                        p2p: m.p2p,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let health = credence_api::node::health::Health::new(stop.clone());
            // The responder runs supervised: if it fails, the node stops and
            // exits with an error rather than look healthy while mute.
            let responder = if auto_answer {
                let (identity, stop, file, api) =
                    (me.identity.clone(), stop.clone(), h.ledger(), info.api);
                Some(health.spawn("responder", move || {
                    let client = NodeClient::new(api, identity.party_id(), identity.clone());
                    credence_api::responder::run(&file, &identity, &client, &stop);
                })?)
            } else {
                None
            };
            let cfg = service::ServiceConfig {
                name: info.name.clone(),
                role: info.role.clone(),
                identity: me.identity.clone(),
                home: home.clone(),
                consortium: g.consortium.clone(),
                created_at: g.created_at,
                genesis: signed,
                validators,
                p2p: info.p2p,
                api: info.api,
                unfiltered,
                health: health.clone(),
            };
            eprintln!(
                "{} ({}) running: p2p {}, client API http://{}; Ctrl-C to stop",
                info.name, info.role, info.p2p, info.api
            );
            let r = service::run(cfg);
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            if let Some(t) = responder {
                let _ = t.join();
            }
            r.map_err(ApiError::from)?;
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
        NodeCmd::Propose {
            home,
            admit,
            remove,
            json,
        } => {
            let (me, client, view) = member_client(&home)?;
            let (pid, entry, what) = match (admit, remove) {
                (Some(file), None) => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("reading {}", file.display()))?;
                    let req: member::JoinRequestFile = serde_json::from_str(&text)
                        .with_context(|| format!("{} is not a join request", file.display()))?;
                    let what = format!("admit {} ({})", req.name, req.role);
                    let (pid, e) = credence_api::actions::propose_admission(&me, req.request()?);
                    (pid, e, what)
                }
                (None, Some(name)) => {
                    let m = read::members(&view)?
                        .into_iter()
                        .find(|m| m.name == name)
                        .ok_or_else(|| {
                            ApiError::not_found(format!("no member named {name} is in force"))
                        })?;
                    let (pid, e) = credence_api::actions::propose_removal(&me, &m.party);
                    (pid, e, format!("remove {name}"))
                }
                _ => bail!("give --admit FILE or --remove NAME"),
            };
            let height = submit_final(&client, entry)?;
            report_membership(&view, &pid, &what, height, json)
        }
        NodeCmd::Vote {
            home,
            proposal,
            reject,
            json,
        } => {
            let (me, client, view) = member_client(&home)?;
            let pid = parse_id("proposal id", &proposal)?;
            let height = submit_final(
                &client,
                credence_api::actions::vote_membership(&me, &pid, !reject),
            )?;
            let what = if reject { "vote against" } else { "vote for" };
            report_membership(&view, &pid, what, height, json)
        }
        NodeCmd::Members { home, json } => {
            let view = Ledger::open_read_only(&Home::new(&home).ledger())?;
            let (_, epoch_length, epoch) = read::chain(&view)?
                .ok_or_else(|| anyhow!("this member's ledger has no genesis yet"))?;
            let members = read::members_at_epoch(&view, epoch)?;
            let next = read::members_at_epoch(&view, epoch + 1)?;
            let proposals = read::membership_proposals(&view)?;
            let name = |p: &PartyId| credence_api::reads::party_name(&view, p);
            if json {
                let out = serde_json::json!({
                    "epoch": epoch,
                    "epoch_length": epoch_length,
                    "members": members.iter().map(|m| serde_json::json!({
                        "name": m.member.name, "role": m.member.role.as_str(), "party": m.member.party.to_hex(),
                    })).collect::<Vec<_>>(),
                    "next_epoch_members": next.iter().map(|m| m.member.name.clone()).collect::<Vec<_>>(),
                    "proposals": proposals.iter().map(|p| serde_json::json!({
                        "proposal_id": hex::encode(p.proposal_id),
                        "proposer": name(&p.proposer),
                        "change": credence_api::desk::regulator::change_text(&view, &p.change),
                        "status": p.status,
                        "effective_epoch": p.effective_epoch,
                        "votes": p.votes.iter().map(|(v, yes)| serde_json::json!({"voter": name(v), "approve": yes})).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("epoch {epoch} ({epoch_length} blocks each); members in force:");
                for m in &members {
                    println!(
                        "  {:<16} {:<10} {}",
                        m.member.name,
                        m.member.role.as_str(),
                        m.member.party.short()
                    );
                }
                for p in &proposals {
                    println!(
                        "proposal {}: {} by {} — {}{} ({} votes)",
                        hex::encode(p.proposal_id),
                        credence_api::desk::regulator::change_text(&view, &p.change),
                        name(&p.proposer),
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

/// A member's identity, a client of its own node, and its ledger (read only).
pub(crate) fn member_client(
    home: &Path,
) -> Result<(
    credence_api::crypto::Identity,
    credence_api::node::client::NodeClient,
    Ledger,
)> {
    use credence_api::home::Home;
    let h = Home::new(home);
    let me = h.unlock(&passphrase()?)?;
    let info = credence_api::member::read_info(&h)?;
    let client = credence_api::node::client::NodeClient::new(
        info.api,
        me.identity.party_id(),
        me.identity.clone(),
    );
    let view = Ledger::open_read_only(&h.ledger())?;
    Ok((me.identity, client, view))
}

/// Submit one entry through the node and wait until it is final (or refused).
pub(crate) fn submit_final(
    client: &credence_api::node::client::NodeClient,
    entry: credence_api::ledger::SignedEntry,
) -> Result<u64> {
    match client
        .submit(&[entry], std::time::Duration::from_secs(60))
        .map_err(ApiError::from)?
        .pop()
        .flatten()
    {
        Some(r) => Ok(credence_api::desk::settled(r)?),
        None => bail!("the entry was not final within 60 s (is a quorum of members running?)"),
    }
}

pub(crate) fn report_membership(
    view: &Ledger,
    pid: &[u8; 32],
    what: &str,
    height: u64,
    json: bool,
) -> Result<i32> {
    // The node's own file may trail the receipt by a moment.
    credence_api::ledger::clock::poll(
        std::time::Duration::from_secs(10),
        std::time::Duration::from_millis(20),
        || {
            Ok::<_, credence_api::ledger::LedgerError>(
                (view.head()?.map(|h| h.height).unwrap_or(0) >= height).then_some(()),
            )
        },
    )?;
    let p = read::membership_proposals(view)?
        .into_iter()
        .find(|p| p.proposal_id == *pid);
    let (status, eff) = p
        .map(|p| (p.status.as_str().to_string(), p.effective_epoch))
        .unwrap_or_else(|| ("unknown".into(), None));
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "proposal_id": hex::encode(pid), "action": what, "height": height,
                "status": status, "effective_epoch": eff,
            }))?
        );
    } else {
        println!(
            "{what}: final at height {height}; proposal {} is {status}{}",
            hex::encode(pid),
            eff.map(|e| format!(", effective from epoch {e}"))
                .unwrap_or_default()
        );
    }
    Ok(0)
}
