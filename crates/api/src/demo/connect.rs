//! Reopening a demo folder: a local-mode folder is opened in this process,
//! a process-mode folder is connected to through its running member nodes.
use super::{DemoConsortium, DemoKeys, MEMBERS};
use crate::error::{ApiError, ErrorCode, Result};
use crate::home::Home;
use credence_crypto::Secret;
use credence_ledger::Ledger;
use credence_node::{LocalConsortium, Node, RemoteConsortium};

/// The file a process-mode demo folder holds (the signed genesis its member
/// nodes run); a local-mode folder has none.
pub const GENESIS_FILE: &str = "genesis.json";

/// Whether `dir` holds a consortium of member processes (`credence demo`
/// without `--local`), which `open` connects to rather than opens locally.
pub fn is_process_folder(dir: &std::path::Path) -> bool {
    dir.join(GENESIS_FILE).is_file()
}

/// Reopen a demo folder made by `run`. A local-mode folder: unlock its
/// keystores and open every member's ledger behind a local sequencer. A
/// process-mode folder (it holds `genesis.json`): connect to its running
/// member nodes instead (see `connect`); its ledgers belong to those nodes.
pub fn open(dir: &std::path::Path, passphrase: &Secret<String>) -> Result<DemoConsortium> {
    if is_process_folder(dir) {
        return connect(dir, passphrase);
    }
    let mut members = Vec::new();
    let mut nodes = Vec::new();
    for (name, role) in MEMBERS {
        let home = Home::new(dir.join(name));
        if !home.ledger().exists() {
            return Err(ApiError::not_found(format!(
                "{} holds no demo consortium (no {name} ledger)",
                dir.display()
            )));
        }
        let identity = crate::member::keys::member_identity(&home, passphrase)?;
        nodes.push(Node::new(
            name,
            identity.clone(),
            Ledger::open(&home.ledger())?,
        ));
        members.push((name.to_string(), role, identity));
    }
    let borrowers = crate::home::unlock_all(
        &dir.join("borrowers").join(crate::home::KEYSTORE_FILE),
        passphrase,
    )?;
    Ok(DemoConsortium {
        network: Box::new(LocalConsortium::new(nodes)),
        keys: DemoKeys { members, borrowers },
        processes: Vec::new(),
        node_answers: false,
    })
}

/// How long `connect` waits for a member's node to accept a connection.
const REACH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

fn unreachable(dir: &std::path::Path, member: &str, api: std::net::SocketAddr) -> ApiError {
    let d = dir.display();
    ApiError::new(
        ErrorCode::Unreachable,
        format!(
            "cannot reach the {member} node at {api}: is the consortium running? \
             Start its members again with `credence node run --home {d}/<member> --genesis {d}/{GENESIS_FILE}` \
             (the agency's with --auto-answer), or start a new consortium with \
             `credence demo --dir <new folder> --keep-running` and open that folder; nothing was changed"
        ),
    )
}

/// Connect to the running member nodes of a process-mode demo folder (made
/// by `credence demo --keep-running`): read each member's `node.json`, check
/// its node answers, unlock the keystores, and read every member's ledger
/// through a read-only view; entries go to the nodes through the regulator's
/// client API. The app does not own the processes: `processes` is empty, so
/// nothing is stopped on drop. If a node does not answer, the error's code is
/// `Unreachable` and nothing in the folder was created or changed.
pub fn connect(dir: &std::path::Path, passphrase: &Secret<String>) -> Result<DemoConsortium> {
    // Only reads until every node has answered: the folder is left as it was.
    let mut infos = Vec::new();
    for (name, role) in MEMBERS {
        let home = Home::new(dir.join(name));
        let info = crate::member::read_info(&home)?;
        if info.name != name || info.role()? != role {
            return Err(ApiError::invalid(format!(
                "{} is not the demo's {name} ({} / {})",
                home.dir.join(crate::member::NODE_FILE).display(),
                info.name,
                info.role
            )));
        }
        if !home.ledger().exists() {
            return Err(ApiError::not_found(format!(
                "{} holds no demo consortium (no {name} ledger)",
                dir.display()
            )));
        }
        infos.push(info);
    }
    // A bounded TCP probe first: the client's own timeout is long.
    for info in &infos {
        if std::net::TcpStream::connect_timeout(&info.api, REACH_TIMEOUT).is_err() {
            return Err(unreachable(dir, &info.name, info.api));
        }
    }
    let mut members = Vec::new();
    for (name, role) in MEMBERS {
        let identity =
            crate::member::keys::member_identity(&Home::new(dir.join(name)), passphrase)?;
        members.push((name.to_string(), role, identity));
    }
    let borrowers = crate::home::unlock_all(
        &dir.join("borrowers").join(crate::home::KEYSTORE_FILE),
        passphrase,
    )?;
    // Each node must answer as the member it claims to be.
    for (info, (name, _, id)) in infos.iter().zip(&members) {
        let status = info
            .client(id)?
            .status()
            .map_err(|_| unreachable(dir, name, info.api))?;
        if status["party"].as_str() != Some(id.party_id().to_hex().as_str()) {
            return Err(ApiError::new(
                ErrorCode::Unreachable,
                format!(
                    "the node at {} is not this folder's {name} (another program or consortium \
                     answers there); nothing was changed",
                    info.api
                ),
            ));
        }
    }
    let mut net = RemoteConsortium::new(infos[0].client(&members[0].2)?);
    net.wait = std::time::Duration::from_secs(60);
    for (name, _, id) in &members {
        net.add_view(id.party_id(), &Home::new(dir.join(name)).ledger())?;
    }
    Ok(DemoConsortium {
        network: Box::new(net),
        keys: DemoKeys { members, borrowers },
        processes: Vec::new(),
        node_answers: true,
    })
}
