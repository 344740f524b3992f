//! How much the API serves at once and how long it waits for a client.
use std::time::Duration;

/// The API's limits. The defaults suit a member's node; tests shrink them.
#[derive(Clone, Debug)]
pub struct ApiLimits {
    /// Time for a request's headers to arrive.
    pub header_timeout: Duration,
    /// Time for a request's body to arrive, once its headers are checked.
    pub body_timeout: Duration,
    pub max_body: usize,
    /// Open connections in all, and from one IP address.
    pub connections: usize,
    pub connections_per_ip: usize,
    /// Requests being served at once (reading the ledger or judging entries)
    /// in all, and by one caller.
    pub work: usize,
    pub work_per_caller: usize,
    /// Requests waiting (long polls, submissions waiting for finality) in
    /// all, and by one caller.
    pub waits: usize,
    pub waits_per_caller: usize,
    pub max_wait: Duration,
    /// Signed requests one key may make within the 10-minute replay window.
    pub nonces_per_key: usize,
    /// How long a request may queue for a work slot before `busy`.
    pub queue_timeout: Duration,
    /// Longest life of one connection.
    pub connection_lifetime: Duration,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(15),
            max_body: 16 * 1024 * 1024,
            connections: 1024,
            connections_per_ip: 128,
            work: 8,
            work_per_caller: 4,
            waits: 512,
            waits_per_caller: 16,
            max_wait: Duration::from_secs(120),
            nonces_per_key: 60_000,
            queue_timeout: Duration::from_secs(10),
            connection_lifetime: Duration::from_secs(600),
        }
    }
}
