//! Floods against one node's client API, as an attacker would send them,
//! while another client measures how fast `/v1/status` and a signed request
//! of its own are answered. Drives `credence bench flood` and
//! `scripts/bench-api-flood.sh`; targets only the address it is given.
use credence_node::client::NodeClient;
use serde::Serialize;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one flood did to the other clients.
#[derive(Clone, Debug, Serialize)]
pub struct FloodReport {
    pub flood: &'static str,
    /// Connections or requests the attacker kept open.
    pub attackers: usize,
    pub seconds: f64,
    /// Attacker requests the node refused at once (busy, unauthenticated).
    pub refused: usize,
    /// `/v1/status` from another client: samples and latencies (ms).
    pub status_samples: usize,
    pub status_p50_ms: f64,
    pub status_p99_ms: f64,
    pub status_max_ms: f64,
    /// Status requests that failed or took over a second.
    pub status_over_1s: usize,
    /// A signed read by another caller: latencies (ms).
    pub other_caller_samples: usize,
    pub other_caller_p50_ms: f64,
    pub other_caller_max_ms: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Measure `status` and `other` every 100 ms while `attack` runs (it is
/// handed a stop flag and returns how many of its requests were refused).
fn measure(
    flood: &'static str,
    attackers: usize,
    seconds: u64,
    status: &NodeClient,
    other: &NodeClient,
    attack: impl FnOnce(Arc<AtomicBool>) -> std::thread::JoinHandle<usize>,
) -> FloodReport {
    let stop = Arc::new(AtomicBool::new(false));
    let handle = attack(stop.clone());
    // Let the flood build up first.
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let (mut st, mut ot, mut over) = (Vec::new(), Vec::new(), 0);
    while started.elapsed() < Duration::from_secs(seconds) {
        let t = Instant::now();
        let ok = status.status().is_ok();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        if !ok || ms > 1000.0 {
            over += 1;
        }
        st.push(ms);
        let t = Instant::now();
        if other.get("/v1/me/consents").is_ok() {
            ot.push(t.elapsed().as_secs_f64() * 1e3);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::SeqCst);
    let refused = handle.join().unwrap_or(0);
    st.sort_by(f64::total_cmp);
    ot.sort_by(f64::total_cmp);
    FloodReport {
        flood,
        attackers,
        seconds: started.elapsed().as_secs_f64(),
        refused,
        status_samples: st.len(),
        status_p50_ms: percentile(&st, 0.5),
        status_p99_ms: percentile(&st, 0.99),
        status_max_ms: st.last().copied().unwrap_or(f64::NAN),
        status_over_1s: over,
        other_caller_samples: ot.len(),
        other_caller_p50_ms: percentile(&ot, 0.5),
        other_caller_max_ms: ot.last().copied().unwrap_or(f64::NAN),
    }
}

/// Both floods against bank-a's node of a running demo consortium in `dir`
/// (started with `--keep-running`): bank-a's own key holds long polls, a
/// stranger holds half-sent bodies, and the regulator measures how the
/// node's status and another caller fare meanwhile.
pub fn against_demo(
    dir: &std::path::Path,
    passphrase: &credence_crypto::Secret<String>,
    stalled: usize,
    polls: usize,
    seconds: u64,
) -> crate::Result<Vec<FloodReport>> {
    use crate::home::Home;
    let target = Home::new(dir.join("bank-a"));
    let info = crate::member::read_info(&target)?;
    let attacker = target.unlock(passphrase)?.identity;
    let bystander = Home::new(dir.join("regulator"))
        .unlock(passphrase)?
        .identity;
    let status = info.client(&bystander)?;
    let other = info.client(&bystander)?;
    let attacker = Arc::new(info.client(&attacker)?);
    status.status().map_err(|e| {
        crate::ApiError::new(
            crate::ErrorCode::Unreachable,
            format!(
                "bank-a's node at {} does not answer ({e}); start the demo with --keep-running",
                info.api
            ),
        )
    })?;
    Ok(vec![
        stalled_bodies(info.api, stalled, seconds, &status, &other),
        long_polls(polls, seconds, attacker, &status, &other),
    ])
}

/// Finding 1: `connections` clients announce a 100,000-byte submission and
/// never send it (unsigned, as anyone can). Closed ones are reopened.
pub fn stalled_bodies(
    api: SocketAddr,
    connections: usize,
    seconds: u64,
    status: &NodeClient,
    other: &NodeClient,
) -> FloodReport {
    measure(
        "stalled bodies",
        connections,
        seconds,
        status,
        other,
        |stop| {
            std::thread::spawn(move || {
                let head = b"POST /v1/submit HTTP/1.1\r\nhost: node\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n";
                let mut open: Vec<TcpStream> = Vec::new();
                let mut refused = 0;
                while !stop.load(Ordering::SeqCst) {
                    // Keep `connections` open; a connection the node answered
                    // (and closed) counts as refused and is replaced.
                    open.retain(|s| {
                        let mut b = [0u8; 1];
                        match s.peek(&mut b) {
                            Ok(0) => false,
                            Ok(_) => {
                                refused += 1;
                                false
                            }
                            Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
                        }
                    });
                    while open.len() < connections {
                        match TcpStream::connect_timeout(&api, Duration::from_secs(1)) {
                            Ok(mut s) => {
                                let _ = s.write_all(head);
                                let _ = s.set_nonblocking(true);
                                open.push(s);
                            }
                            Err(_) => break,
                        }
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                refused
            })
        },
    )
}

/// Finding 2: `polls` signed long polls on `/v1/blocks` (3 s each, renewed)
/// from one caller.
pub fn long_polls(
    polls: usize,
    seconds: u64,
    attacker: Arc<NodeClient>,
    status: &NodeClient,
    other: &NodeClient,
) -> FloodReport {
    measure("long polls", polls, seconds, status, other, move |stop| {
        std::thread::spawn(move || {
            let refused = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = (0..polls)
                .map(|_| {
                    let (stop, c, refused) = (stop.clone(), attacker.clone(), refused.clone());
                    std::thread::spawn(move || {
                        while !stop.load(Ordering::SeqCst) {
                            match c.get(&format!("/v1/blocks?after={}&wait_ms=3000", i64::MAX)) {
                                Ok(_) => {}
                                Err(_) => {
                                    refused.fetch_add(1, Ordering::SeqCst);
                                    // A refused poller asks again, as a
                                    // flood would, but not in a busy loop.
                                    std::thread::sleep(Duration::from_millis(20));
                                }
                            }
                        }
                    })
                })
                .collect();
            for t in threads {
                let _ = t.join();
            }
            refused.load(Ordering::SeqCst)
        })
    })
}
