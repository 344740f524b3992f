//! Bringing the demo's four members up: in this process behind the local
//! sequencer, or as four `credence node run` processes on 127.0.0.1; and
//! saying what became of a member process when a stage fails.
use super::{submit_all, DemoMode, DemoOptions, Progress, MEMBERS};
use crate::error::{ApiError, ErrorCode, Result};
use crate::home::Home;
use credence_crypto::Identity;
use credence_ledger::clock::poll;
use credence_ledger::types::*;
use credence_ledger::{encode::sign_entry, Ledger};
use credence_node::{LocalConsortium, Network, Node, RemoteConsortium};
use std::path::PathBuf;
use std::time::Instant;

/// A member process started by the demo.
pub struct MemberProcess {
    pub name: String,
    pub child: std::process::Child,
    pub api: std::net::SocketAddr,
    pub log: PathBuf,
}

impl MemberProcess {
    /// Ask the process to stop (SIGTERM) and wait for it, bounded.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .stderr(std::process::Stdio::null())
            .status();
        let exited = credence_ledger::clock::poll(
            std::time::Duration::from_secs(10),
            std::time::Duration::from_millis(50),
            || Ok::<_, std::io::Error>(self.child.try_wait()?.map(|_| ())),
        );
        if matches!(exited, Ok(Some(()))) {
            return;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// How the process ended, with the last lines of its log, if it has.
    fn ended(&mut self) -> Option<String> {
        let status = self.child.try_wait().ok().flatten()?;
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = tail[tail.len().saturating_sub(3)..].join(" | ");
        Some(format!(
            "the {} node exited ({status}); its log {} ends: {tail}",
            self.name,
            self.log.display()
        ))
    }
}

/// After a failed stage: say which member processes have exited, and how,
/// or where their logs are; then stop the rest, so that a failed demo leaves
/// no process behind (its folder stays, logs included).
pub(super) fn explain_and_stop(mut err: ApiError, processes: &mut [MemberProcess]) -> ApiError {
    if processes.is_empty() {
        return err;
    }
    let ended: Vec<String> = processes.iter_mut().filter_map(|p| p.ended()).collect();
    if ended.is_empty() {
        let dir = processes[0].log.parent().and_then(|h| h.parent());
        err.message = format!(
            "{}; every member process was still running (their logs: {}/<member>/node.log)",
            err.message,
            dir.map(|d| d.display().to_string()).unwrap_or_default()
        );
    } else {
        err.message = format!("{}; {}", err.message, ended.join("; "));
    }
    for p in processes.iter_mut() {
        p.stop();
    }
    err
}

/// `n` distinct free ports on 127.0.0.1: every listener is held until all
/// are chosen, so no two members are handed the same port.
fn free_ports(n: usize) -> Result<Vec<u16>> {
    let held = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    held.iter().map(|l| Ok(l.local_addr()?.port())).collect()
}

pub(super) type Started = (Vec<Identity>, Box<dyn Network>, Vec<MemberProcess>);

/// Create the four members and bring the consortium up: in this process
/// behind the local sequencer, or as four node processes on 127.0.0.1.
pub(super) fn start_members(
    opts: &DemoOptions,
    now: u64,
    progress: &mut dyn FnMut(Progress),
) -> Result<Started> {
    let total = MEMBERS.len() as u64;
    progress(Progress {
        stage: "members",
        done: 0,
        total,
    });
    match &opts.mode {
        DemoMode::Local => {
            let mut ids = Vec::new();
            let mut nodes = Vec::new();
            for (i, (name, _)) in MEMBERS.iter().enumerate() {
                let home = Home::new(opts.dir.join(name));
                let actor = home.create(name, &opts.passphrase, opts.kdf)?;
                nodes.push(Node::new(
                    *name,
                    actor.identity.clone(),
                    Ledger::open(&home.ledger())?,
                ));
                ids.push(actor.identity);
                progress(Progress {
                    stage: "members",
                    done: i as u64 + 1,
                    total,
                });
            }
            let genesis = Genesis {
                consortium: "credence-demo".into(),
                created_at: now,
                members: MEMBERS
                    .iter()
                    .zip(&ids)
                    .map(|((n, r), id)| Member {
                        name: n.to_string(),
                        role: *r,
                        key: id.public(),
                    })
                    .collect(),
                policy: Policy::default(),
            };
            let signers: Vec<&Identity> = ids.iter().collect();
            let mut c = LocalConsortium::new(nodes);
            submit_all(
                &mut c,
                vec![sign_entry(Entry::Genesis(genesis), &signers)],
                "genesis",
            )?;
            Ok((ids, Box::new(c), Vec::new()))
        }
        DemoMode::Processes { exe } => {
            let mut ids = Vec::new();
            let mut infos = Vec::new();
            let ports = free_ports(2 * MEMBERS.len())?;
            let at = |p: u16| std::net::SocketAddr::from(([127, 0, 0, 1], p));
            for (i, (name, role)) in MEMBERS.into_iter().enumerate() {
                let home = Home::new(opts.dir.join(name));
                let (p2p, api) = (at(ports[2 * i]), at(ports[2 * i + 1]));
                let at = crate::member::Addresses {
                    p2p,
                    api,
                    tls_names: Vec::new(),
                };
                infos.push(crate::member::init(
                    &home,
                    name,
                    role,
                    &at,
                    &opts.passphrase,
                    opts.kdf,
                )?);
                ids.push(home.unlock(&opts.passphrase)?.identity);
            }
            let mut genesis =
                crate::member::GenesisFile::create("credence-demo", now, infos.clone())?;
            for id in &ids {
                genesis.sign(id)?;
            }
            let gpath = opts.dir.join(super::GENESIS_FILE);
            genesis.write(&gpath)?;
            // What a user's client needs to reach this consortium.
            crate::profile::Profile::from_genesis(&genesis)?
                .write(&opts.dir.join(crate::profile::PROFILE_FILE))?;
            super::people::staff(&opts.dir, &opts.passphrase, opts.kdf)?;
            let mut processes = Vec::new();
            for (i, (name, role)) in MEMBERS.iter().enumerate() {
                let home = opts.dir.join(name);
                let log = home.join("node.log");
                let out = std::fs::File::create(&log)?;
                let mut cmd = std::process::Command::new(exe);
                cmd.args(["node", "run", "--home"])
                    .arg(&home)
                    .arg("--genesis")
                    .arg(&gpath);
                if matches!(role, Role::Agency | Role::Regulator) {
                    cmd.arg("--auto-answer");
                }
                cmd.env("CREDENCE_PASSPHRASE", opts.passphrase.expose())
                    .stdin(std::process::Stdio::null())
                    .stdout(out.try_clone()?)
                    .stderr(out);
                let child = match cmd.spawn() {
                    Ok(c) => c,
                    Err(e) => {
                        let err = ApiError::new(
                            ErrorCode::Io,
                            format!("cannot start {}: {e}", exe.display()),
                        );
                        return Err(explain_and_stop(err, &mut processes));
                    }
                };
                processes.push(MemberProcess {
                    name: name.to_string(),
                    child,
                    api: infos[i].api,
                    log,
                });
            }
            let client = infos[0].client(&ids[0])?;
            let deadline = Instant::now() + std::time::Duration::from_secs(60);
            for i in 0..processes.len() {
                let c = infos[i].client(&ids[i])?;
                let left = deadline.saturating_duration_since(Instant::now());
                let child = &mut processes[i].child;
                // Up (Some(true)), or exited (Some(false)): either ends the wait.
                let up = poll(left, std::time::Duration::from_millis(100), || {
                    if c.status().is_ok() {
                        return Ok::<_, ApiError>(Some(true));
                    }
                    Ok(child.try_wait().ok().flatten().map(|_| false))
                })?;
                if up != Some(true) {
                    let err = ApiError::new(
                        ErrorCode::Io,
                        format!("member {} did not start", processes[i].name),
                    );
                    return Err(explain_and_stop(err, &mut processes));
                }
                progress(Progress {
                    stage: "members",
                    done: i as u64 + 1,
                    total,
                });
            }
            let mut net = RemoteConsortium::new(client);
            for (i, (name, _)) in MEMBERS.iter().enumerate() {
                net.add_view(ids[i].party_id(), &Home::new(opts.dir.join(name)).ledger())?;
            }
            Ok((ids, Box::new(net), processes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(dir: &std::path::Path, name: &str, script: &str) -> MemberProcess {
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = std::process::Command::new("sh")
            .args(["-c", script])
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        MemberProcess {
            name: name.into(),
            child,
            api: "127.0.0.1:1".parse().unwrap(),
            log,
        }
    }

    #[test]
    fn a_failed_stage_names_the_member_that_exited_and_stops_the_others() {
        let tmp = tempfile::tempdir().unwrap();
        let mut ps = vec![
            process(
                tmp.path(),
                "agency",
                "echo starting; echo the genesis does not match; exit 2",
            ),
            process(tmp.path(), "bank-a", "exec sleep 30"),
        ];
        // The short script ends by itself; its status stays readable.
        ps[0].child.wait().unwrap();
        let err = explain_and_stop(ApiError::new(ErrorCode::Unreachable, "not final"), &mut ps);
        assert_eq!(err.code, ErrorCode::Unreachable);
        assert!(
            err.message.starts_with("not final; the agency node exited"),
            "{}",
            err.message
        );
        assert!(err.message.contains("exit status: 2"), "{}", err.message);
        assert!(
            err.message.contains("the genesis does not match"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("bank-a"), "{}", err.message);
        // The one still running was stopped.
        assert!(ps[1].child.try_wait().unwrap().is_some());
    }
}
