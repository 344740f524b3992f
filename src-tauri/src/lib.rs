//! The Credence desktop shell. Every command is a thin call into
//! `credence_api` (mostly `desk`), run off the UI thread; results cross as the
//! DTOs of `dto`, failures as `UiError { code, message }`. Passphrases come in
//! and are wrapped in `Secret` at once; no key, opening or passphrase goes out.
#![forbid(unsafe_code)]

mod commands;
mod dto;
mod error;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How the app was started (`--demo-dir DIR`, `--subjects N`, or the
/// `CREDENCE_DEMO_DIR` / `CREDENCE_DEMO_SUBJECTS` environment).
#[derive(Clone, Debug)]
pub struct Startup {
    pub demo_dir: PathBuf,
    pub subjects: usize,
    pub started: Instant,
}

impl Startup {
    pub fn from_env(args: &[String]) -> Self {
        let mut demo_dir = std::env::var("CREDENCE_DEMO_DIR").ok().map(PathBuf::from);
        let mut subjects = std::env::var("CREDENCE_DEMO_SUBJECTS")
            .ok()
            .and_then(|s| s.parse().ok());
        let mut it = args.iter().skip(1);
        while let Some(a) = it.next() {
            match a.as_str() {
                "--demo-dir" => demo_dir = it.next().map(PathBuf::from),
                "--subjects" => subjects = it.next().and_then(|s| s.parse().ok()),
                _ => {}
            }
        }
        let demo_dir = demo_dir.unwrap_or_else(|| {
            std::env::current_dir()
                .unwrap_or_else(|_| PathBuf::from("."))
                .join("demo-out")
        });
        let demo_dir = std::path::absolute(&demo_dir).unwrap_or(demo_dir);
        Startup {
            demo_dir,
            subjects: subjects.unwrap_or(1000),
            started: Instant::now(),
        }
    }
}

pub struct AppState {
    startup: Startup,
    session: Arc<Mutex<Option<credence_api::session::Session>>>,
    /// A person's own identity ("Open my identity"); never beside `session`.
    own: Arc<Mutex<Option<credence_api::own::OwnSession>>>,
    starting: Arc<Mutex<bool>>,
    interactive_ms: Mutex<Option<u64>>,
}

pub fn run() {
    // Warnings, and which keystores this process unlocks (paths only).
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,credence_api=info")),
        )
        .init();
    let args: Vec<String> = std::env::args().collect();
    let startup = Startup::from_env(&args);
    tauri::Builder::default()
        .manage(AppState {
            startup,
            session: Arc::new(Mutex::new(None)),
            own: Arc::new(Mutex::new(None)),
            starting: Arc::new(Mutex::new(false)),
            interactive_ms: Mutex::new(None),
        })
        .invoke_handler(tauri::generate_handler![
            commands::start::app_info,
            commands::start::mark_interactive,
            commands::start::start_demo,
            commands::start::open_demo,
            commands::start::current_session,
            commands::start::close_session,
            commands::officer::officer_find,
            commands::officer::officer_borrower,
            commands::officer::officer_ask,
            commands::officer::officer_query,
            commands::officer::officer_furnish,
            commands::officer::officer_enrol,
            commands::analyst::analyst_home,
            commands::analyst::analyst_records,
            commands::analyst::analyst_open,
            commands::analyst::analyst_answer,
            commands::analyst::set_auto_respond,
            commands::regulator::regulator_home,
            commands::regulator::regulator_audit,
            commands::borrower::borrower_home,
            commands::borrower::borrower_grant,
            commands::borrower::borrower_revoke,
            commands::borrower::borrower_freeze,
            commands::borrower::borrower_dispute,
            commands::identity::create_identity,
            commands::identity::open_identity,
            commands::identity::close_identity,
            commands::identity::own_home,
            commands::identity::own_grant,
            commands::identity::own_revoke,
            commands::identity::own_freeze,
            commands::identity::own_dispute,
            commands::identity::own_ask,
            commands::identity::own_enrol,
            commands::identity::own_records,
            commands::identity::own_queries,
            commands::identity::own_membership,
            commands::identity::own_alarms,
            commands::identity::own_furnish,
            commands::identity::own_portfolio,
            commands::identity::own_rotate_key,
            commands::identity::own_declare_leaked,
            commands::identity::own_incidents,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("error while running the Credence desktop app");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startup_reads_args_over_env() {
        let s = Startup::from_env(&[
            "app".into(),
            "--demo-dir".into(),
            "/tmp/x".into(),
            "--subjects".into(),
            "40".into(),
        ]);
        assert_eq!(s.demo_dir, PathBuf::from("/tmp/x"));
        assert_eq!(s.subjects, 40);
    }
}
