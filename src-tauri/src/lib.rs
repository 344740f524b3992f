//! The Credence desktop shell. Every command is a thin call into
//! `credence_api` (mostly `desk`), run off the UI thread; results cross as the
//! DTOs of `dto`, failures as `UiError { code, message }`. Passphrases come in
//! and are wrapped in `Secret` at once; no key, opening or passphrase goes out.
#![forbid(unsafe_code)]

mod dto;
mod error;
mod session;

use credence_api::crypto::keystore::KdfParams;
use credence_api::crypto::{PartyId, Secret};
use credence_api::demo::{self, DemoMode, DemoOptions, Progress};
use credence_api::desk::{self, alarms, analyst, regulator};
use credence_api::home::Home;
use credence_api::ledger::read;
use credence_api::ledger::types::{DisputeReason, Purpose, Role};
use credence_api::reads::{self, party_name};
use dto::*;
use error::{UiError, UiResult};
use serde::Serialize;
use session::Session;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tauri::{Emitter, State};

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
    session: Arc<Mutex<Option<Session>>>,
    starting: Arc<Mutex<bool>>,
    interactive_ms: Mutex<Option<u64>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Run `f` on the open session on a blocking thread (never the UI thread).
async fn with_session<T, F>(state: &State<'_, AppState>, f: F) -> UiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Session) -> UiResult<T> + Send + 'static,
{
    let s = state.session.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut g = lock(&s);
        let session = g.as_mut().ok_or_else(UiError::no_session)?;
        f(session)
    })
    .await
    .map_err(|e| UiError::new("internal", format!("the task failed: {e}")))?
}

fn secret(p: String) -> Secret<String> {
    Secret::new(p)
}

// ---------------------------------------------------------------- first screen

#[derive(Serialize)]
struct AppInfo {
    version: String,
    demo_dir: String,
    demo_exists: bool,
    subjects: usize,
    session_open: bool,
}

#[tauri::command]
async fn app_info(state: State<'_, AppState>) -> UiResult<AppInfo> {
    let d = &state.startup.demo_dir;
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        demo_dir: d.display().to_string(),
        demo_exists: d.join("regulator").join("ledger.db").exists(),
        subjects: state.startup.subjects,
        session_open: lock(&state.session).is_some(),
    })
}

/// The UI calls this once its first screen accepts input: the time from
/// process start to an interactive window, in ms.
#[tauri::command]
async fn mark_interactive(state: State<'_, AppState>) -> UiResult<u64> {
    let mut g = lock(&state.interactive_ms);
    let ms = *g.get_or_insert_with(|| state.startup.started.elapsed().as_millis() as u64);
    println!("first-screen-interactive-ms={ms}");
    Ok(ms)
}

#[derive(Serialize, Clone)]
struct ProgressDto {
    stage: String,
    done: u64,
    total: u64,
}

#[derive(Serialize)]
struct SessionInfo {
    dir: String,
    consortium: String,
    members: Vec<MemberDto>,
    borrowers: Vec<String>,
    auto_respond: bool,
    /// Connected to a consortium of running member nodes (a folder of
    /// `credence demo --keep-running`); its agency's node answers queries.
    connected: bool,
    height: u64,
}

fn session_info(s: &Session) -> UiResult<SessionInfo> {
    let view = s.view_net().view(&s.reader())?;
    let members = read::members(view.conn())
        .map_err(credence_api::ApiError::from)?
        .iter()
        .map(MemberDto::from)
        .collect();
    Ok(SessionInfo {
        dir: s.dir.display().to_string(),
        consortium: "credence-demo".into(),
        members,
        borrowers: s
            .demo
            .keys
            .borrowers
            .iter()
            .map(|(l, _)| l.clone())
            .collect(),
        auto_respond: s.auto_respond,
        connected: s.demo.node_answers,
        height: view
            .head()
            .map_err(credence_api::ApiError::from)?
            .map(|h| h.height)
            .unwrap_or(0),
    })
}

fn install(state: &AppState, dir: PathBuf, c: demo::DemoConsortium) -> UiResult<SessionInfo> {
    // When the agency's node answers by itself, the app must not answer too.
    let auto_respond = !c.node_answers;
    let s = Session {
        dir,
        demo: c,
        auto_respond,
    };
    let info = session_info(&s)?;
    *lock(&state.session) = Some(s);
    Ok(info)
}

struct Busy(Arc<Mutex<bool>>);
impl Drop for Busy {
    fn drop(&mut self) {
        *lock(&self.0) = false;
    }
}
fn busy(state: &AppState) -> UiResult<Busy> {
    let mut g = lock(&state.starting);
    if *g {
        return Err(UiError::new(
            "busy",
            "the consortium is still starting; wait for it to finish",
        ));
    }
    *g = true;
    Ok(Busy(state.starting.clone()))
}

/// Start the demo consortium in `dir` (must be empty or new), reporting
/// progress as "demo-progress" events.
#[tauri::command]
async fn start_demo(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    dir: String,
    subjects: usize,
    passphrase: String,
) -> UiResult<SessionInfo> {
    let _busy = busy(&state)?;
    if dir.trim().is_empty() {
        return Err(UiError::bad_request("give the demo a folder"));
    }
    if passphrase.chars().count() < 8 {
        return Err(UiError::bad_request(
            "choose a passphrase of at least 8 characters",
        ));
    }
    let dir = PathBuf::from(dir.trim());
    let opts = DemoOptions {
        dir: dir.clone(),
        subjects: Some(subjects),
        csv: None,
        passphrase: secret(passphrase),
        kdf: KdfParams::default(),
        verify_files: false,
        mode: DemoMode::Local,
    };
    let c = tauri::async_runtime::spawn_blocking(move || {
        demo::run_and_keep(&opts, &mut |p: Progress| {
            let _ = app.emit(
                "demo-progress",
                ProgressDto {
                    stage: p.stage.to_string(),
                    done: p.done,
                    total: p.total,
                },
            );
        })
    })
    .await
    .map_err(|e| UiError::new("internal", format!("the demo task failed: {e}")))??
    .1;
    install(&state, dir, c)
}

/// Open a demo folder made before: unlocks its keystores with `passphrase`.
/// A folder of running member nodes (`credence demo --keep-running`) is
/// connected to; if a node does not answer, the error's code is
/// "unreachable" and nothing in the folder changed.
#[tauri::command]
async fn open_demo(
    state: State<'_, AppState>,
    dir: String,
    passphrase: String,
) -> UiResult<SessionInfo> {
    let _busy = busy(&state)?;
    let dir = PathBuf::from(dir.trim());
    let p = secret(passphrase);
    let d = dir.clone();
    let c = tauri::async_runtime::spawn_blocking(move || demo::open(&d, &p))
        .await
        .map_err(|e| UiError::new("internal", format!("the open task failed: {e}")))??;
    install(&state, dir, c)
}

#[derive(Serialize)]
struct KeystoreDto {
    name: String,
    party: String,
    path: String,
}

/// Create a keystore with a fresh identity (a borrower's or a member's own).
#[tauri::command]
async fn create_keystore(dir: String, name: String, passphrase: String) -> UiResult<KeystoreDto> {
    if passphrase.chars().count() < 8 {
        return Err(UiError::bad_request(
            "choose a passphrase of at least 8 characters",
        ));
    }
    let p = secret(passphrase);
    tauri::async_runtime::spawn_blocking(move || {
        let home = Home::new(dir.trim());
        let a = home.create(name.trim(), &p, KdfParams::default())?;
        Ok(KeystoreDto {
            name: a.name,
            party: a.identity.party_id().to_hex(),
            path: home.keystore().display().to_string(),
        })
    })
    .await
    .map_err(|e| UiError::new("internal", e.to_string()))?
}

/// Unlock a keystore and show whose it is (the passphrase check).
#[tauri::command]
async fn unlock_keystore(dir: String, passphrase: String) -> UiResult<KeystoreDto> {
    let p = secret(passphrase);
    tauri::async_runtime::spawn_blocking(move || {
        let home = Home::new(dir.trim());
        let a = home.unlock(&p)?;
        Ok(KeystoreDto {
            name: a.name,
            party: a.identity.party_id().to_hex(),
            path: home.keystore().display().to_string(),
        })
    })
    .await
    .map_err(|e| UiError::new("internal", e.to_string()))?
}

#[tauri::command]
async fn current_session(state: State<'_, AppState>) -> UiResult<SessionInfo> {
    with_session(&state, |s| session_info(s)).await
}

#[tauri::command]
async fn close_session(state: State<'_, AppState>) -> UiResult<()> {
    let s = state.session.clone();
    tauri::async_runtime::spawn_blocking(move || {
        *lock(&s) = None;
    })
    .await
    .map_err(|e| UiError::new("internal", e.to_string()))
}

// ---------------------------------------------------------------- bank officer

fn member_of<'a>(
    s: &'a Session,
    name: &str,
    role: Role,
) -> UiResult<&'a credence_api::crypto::Identity> {
    let (_, r, id) = s
        .keys()
        .members
        .iter()
        .find(|(n, _, _)| n == name)
        .ok_or_else(|| {
            UiError::new(
                "not-found",
                format!("this app holds no key for member \"{name}\""),
            )
        })?;
    if *r != role {
        return Err(UiError::new(
            "not-permitted",
            format!("{name} is a {}, not a {}", r.as_str(), role.as_str()),
        ));
    }
    Ok(id)
}

#[tauri::command]
async fn officer_find(
    state: State<'_, AppState>,
    bank: String,
    needle: String,
) -> UiResult<Vec<BorrowerDto>> {
    with_session(&state, move |s| {
        let me = member_of(s, &bank, Role::Lender)?.party_id();
        let view = s.view_net().view(&me)?;
        Ok(
            desk::find_borrowers(view, &me, &s.book(), &needle, s.view_net().now(), 50)?
                .into_iter()
                .map(BorrowerDto::from)
                .collect(),
        )
    })
    .await
}

#[derive(Serialize)]
struct BorrowerFile {
    subject: String,
    label: Option<String>,
    consents: Vec<ConsentDto>,
    records: Vec<RecordDto>,
    my_queries: Vec<QueryDto>,
}

#[tauri::command]
async fn officer_borrower(
    state: State<'_, AppState>,
    bank: String,
    subject: String,
) -> UiResult<BorrowerFile> {
    with_session(&state, move |s| {
        let me = member_of(s, &bank, Role::Lender)?.party_id();
        let subj = parse_party("borrower", &subject)?;
        let view = s.view_net().view(&me)?;
        let now = s.view_net().now();
        let my_queries = read::queries(
            view.conn(),
            &read::QueryFilter {
                subject: Some(subj),
                requester: Some(me),
                ..Default::default()
            },
        )
        .map_err(credence_api::ApiError::from)?
        .iter()
        .rev()
        .map(|q| query_dto(q, party_name(view, &q.requester)))
        .collect();
        Ok(BorrowerFile {
            subject: subj.to_hex(),
            label: s
                .book()
                .into_iter()
                .find(|(_, p)| *p == subj)
                .map(|(l, _)| l),
            consents: desk::consents_of(view, &subj, now)?
                .into_iter()
                .map(ConsentDto::from)
                .collect(),
            records: desk::records_of(view, &subj)?
                .into_iter()
                .map(RecordDto::from)
                .collect(),
            my_queries,
        })
    })
    .await
}

/// Ask a question; with the auto-responder on, the agency answers before this
/// returns, and the officer's own ledger re-checks the proof. Connected to
/// running nodes, the agency's node answers by itself: wait for it, bounded,
/// and return the query as pending if it has not answered by then.
/// How long a question waits for a running agency node's answer.
const NODE_ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

#[tauri::command]
async fn officer_ask(
    state: State<'_, AppState>,
    bank: String,
    subject: String,
    predicate: PredicateDto,
    target: Option<String>,
) -> UiResult<AskResultDto> {
    with_session(&state, move |s| {
        let t0 = Instant::now();
        let me = member_of(s, &bank, Role::Lender)?.clone();
        let subj = parse_party("borrower", &subject)?;
        let target = match target.filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(parse_id("target record", &t)?),
            None => None,
        };
        let (_, agency) = s
            .first_of(Role::Agency)
            .map(|(n, i)| (n.to_string(), i.clone()))
            .ok_or_else(|| UiError::new("not-found", "this consortium has no agency to answer"))?;
        let qid = desk::ask(
            s.net(),
            &me,
            &subj,
            predicate.to_predicate(),
            &agency.party_id(),
            target,
        )?;
        let o = if s.demo.node_answers {
            desk::await_answer(
                s.view_net(),
                &me.party_id(),
                &qid,
                NODE_ANSWER_WAIT,
                std::time::Duration::from_millis(100),
            )?
        } else {
            if s.auto_respond {
                desk::answer_open(s.net(), &agency, 500)?;
            }
            desk::outcome(s.view_net().view(&me.party_id())?, &qid)?
        };
        Ok(ask_result(&o, t0.elapsed().as_millis() as u64))
    })
    .await
}

#[tauri::command]
async fn officer_query(
    state: State<'_, AppState>,
    bank: String,
    query_id: String,
) -> UiResult<AskResultDto> {
    with_session(&state, move |s| {
        let me = member_of(s, &bank, Role::Lender)?.party_id();
        let qid = parse_id("query", &query_id)?;
        let o = desk::outcome(s.view_net().view(&me)?, &qid)?;
        Ok(ask_result(&o, 0))
    })
    .await
}

#[tauri::command]
async fn officer_furnish(
    state: State<'_, AppState>,
    bank: String,
    subject: String,
    tradeline: TradelineDto,
    corrects: Option<String>,
) -> UiResult<String> {
    with_session(&state, move |s| {
        let me = member_of(s, &bank, Role::Lender)?.clone();
        let subj = parse_party("borrower", &subject)?;
        let corrects = match corrects.filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(parse_id("record to correct", &t)?),
            None => None,
        };
        let id = desk::furnish(s.net(), &me, &subj, &tradeline.to_input(), corrects)?;
        Ok(hex_id(&id))
    })
    .await
}

/// Enrol a new borrower: in demo mode the app creates and holds the
/// borrower's key (a real borrower would sign from their own app).
#[tauri::command]
async fn officer_enrol(state: State<'_, AppState>, bank: String) -> UiResult<BorrowerDto> {
    with_session(&state, move |s| {
        let me = member_of(s, &bank, Role::Lender)?.clone();
        let who = desk::new_identity();
        desk::enrol(s.net(), &who, &me)?;
        let label = format!("borrower-{:04}", s.demo.keys.borrowers.len() + 1);
        s.demo.keys.borrowers.push((label.clone(), who.clone()));
        Ok(BorrowerDto {
            subject: who.party_id().to_hex(),
            label: Some(label),
            records: 0,
            live_consents_to_me: 0,
        })
    })
    .await
}

// ---------------------------------------------------------------- agency analyst

#[derive(Serialize)]
struct AnalystHome {
    agency: String,
    portfolio: PortfolioDto,
    alarms: Vec<AlarmDto>,
    queue: Vec<QueryDto>,
    records_total: usize,
    auto_respond: bool,
    /// The agency's node answers by itself (connected to running nodes): the
    /// app's auto-responder is off and cannot be switched on.
    node_answers: bool,
}

#[tauri::command]
async fn analyst_home(state: State<'_, AppState>) -> UiResult<AnalystHome> {
    with_session(&state, move |s| {
        let (name, agency) = s
            .first_of(Role::Agency)
            .map(|(n, i)| (n.to_string(), i.clone()))
            .ok_or_else(|| UiError::new("not-found", "this app holds no agency key"))?;
        let view = s.view_net().view(&agency.party_id())?;
        let p = analyst::portfolio(view, &agency)?;
        let cfg = alarms::AlarmConfig::default();
        let mut al: Vec<AlarmDto> = alarms::portfolio_alarms(&p, &cfg)
            .iter()
            .map(AlarmDto::from)
            .collect();
        al.extend(
            alarms::consortium_alarms(view, s.view_net().now(), &cfg)?
                .iter()
                .map(AlarmDto::from),
        );
        let queue = analyst::queue(view, &agency.party_id())?
            .iter()
            .map(|q| query_dto(q, party_name(view, &q.requester)))
            .collect();
        let (_, total) = analyst::sealed_records(view, &agency.party_id(), 0, 0)?;
        Ok(AnalystHome {
            agency: name,
            portfolio: p.into(),
            alarms: al,
            queue,
            records_total: total,
            auto_respond: s.auto_respond,
            node_answers: s.demo.node_answers,
        })
    })
    .await
}

#[tauri::command]
async fn analyst_records(
    state: State<'_, AppState>,
    offset: usize,
    limit: usize,
) -> UiResult<(Vec<RecordDto>, usize)> {
    with_session(&state, move |s| {
        let (_, agency) = s
            .first_of(Role::Agency)
            .ok_or_else(|| UiError::new("not-found", "no agency key"))?;
        let me = agency.party_id();
        let (rows, total) =
            analyst::sealed_records(s.view_net().view(&me)?, &me, offset, limit.min(200))?;
        Ok((rows.into_iter().map(RecordDto::from).collect(), total))
    })
    .await
}

#[tauri::command]
async fn analyst_open(state: State<'_, AppState>, record_id: String) -> UiResult<PayloadDto> {
    with_session(&state, move |s| {
        let (_, agency) = s
            .first_of(Role::Agency)
            .ok_or_else(|| UiError::new("not-found", "no agency key"))?;
        let id = parse_id("record", &record_id)?;
        let p = analyst::open(s.view_net().view(&agency.party_id())?, agency, &id)?;
        Ok(PayloadDto::from(&p))
    })
    .await
}

#[derive(Serialize)]
struct PassDto {
    answered: usize,
    refused: Vec<(String, String)>,
    elapsed_ms: u64,
}

#[tauri::command]
async fn analyst_answer(state: State<'_, AppState>, query_id: Option<String>) -> UiResult<PassDto> {
    with_session(&state, move |s| {
        let agency = s
            .first_of(Role::Agency)
            .map(|(_, i)| i.clone())
            .ok_or_else(|| UiError::new("not-found", "no agency key"))?;
        match query_id {
            Some(q) => {
                let t0 = Instant::now();
                let id = parse_id("query", &q)?;
                desk::answer_one(s.net(), &agency, &id)?;
                Ok(PassDto {
                    answered: 1,
                    refused: vec![],
                    elapsed_ms: t0.elapsed().as_millis() as u64,
                })
            }
            None => {
                let p = desk::answer_open(s.net(), &agency, 10_000)?;
                Ok(PassDto {
                    answered: p.answered,
                    refused: p
                        .refused
                        .into_iter()
                        .map(|(i, w)| (hex_id(&i), w))
                        .collect(),
                    elapsed_ms: p.elapsed_ms,
                })
            }
        }
    })
    .await
}

#[tauri::command]
async fn set_auto_respond(state: State<'_, AppState>, on: bool) -> UiResult<bool> {
    with_session(&state, move |s| {
        if on && s.demo.node_answers {
            return Err(UiError::new(
                "not-permitted",
                "the agency's node answers queries itself in this running consortium; \
                 the app's auto-responder stays off",
            ));
        }
        s.auto_respond = on;
        Ok(on)
    })
    .await
}

// ---------------------------------------------------------------- regulator

#[derive(Serialize)]
struct RegulatorHome {
    members: Vec<MemberDto>,
    counts: CountsDto,
    activity: ActivityDto,
    alarms: Vec<AlarmDto>,
    membership: MembershipDto,
}

#[derive(Serialize)]
struct CountsDto {
    blocks: u64,
    subjects: u64,
    records: u64,
    consents: u64,
    revoked_consents: u64,
    queries: u64,
    answers: u64,
    scores: u64,
    disputes: u64,
}

fn regulator_of(s: &Session) -> UiResult<PartyId> {
    s.first_of(Role::Regulator)
        .map(|(_, i)| i.party_id())
        .ok_or_else(|| UiError::new("not-found", "this app holds no regulator key"))
}

#[tauri::command]
async fn regulator_home(state: State<'_, AppState>, buckets: usize) -> UiResult<RegulatorHome> {
    with_session(&state, move |s| {
        let me = regulator_of(s)?;
        let view = s.view_net().view(&me)?;
        let c = read::counts(view.conn()).map_err(credence_api::ApiError::from)?;
        Ok(RegulatorHome {
            members: regulator::members(view)?
                .iter()
                .map(MemberDto::from)
                .collect(),
            counts: CountsDto {
                blocks: c.blocks,
                subjects: c.subjects,
                records: c.records,
                consents: c.consents,
                revoked_consents: c.revoked_consents,
                queries: c.queries,
                answers: c.answers,
                scores: c.scores,
                disputes: c.disputes,
            },
            activity: regulator::activity(view, buckets.clamp(1, 200))?.into(),
            alarms: alarms::consortium_alarms(
                view,
                s.view_net().now(),
                &alarms::AlarmConfig::default(),
            )?
            .iter()
            .map(AlarmDto::from)
            .collect(),
            membership: regulator::membership(view)?.into(),
        })
    })
    .await
}

#[derive(serde::Deserialize, Default)]
struct AuditFilterDto {
    member: Option<String>,
    subject: Option<String>,
    kinds: Option<Vec<String>>,
    purpose: Option<String>,
    from: Option<u64>,
    to: Option<u64>,
    limit: Option<usize>,
}

#[derive(Serialize)]
struct AuditPage {
    events: Vec<AuditEventDto>,
    total: usize,
}

#[tauri::command]
async fn regulator_audit(
    state: State<'_, AppState>,
    filter: AuditFilterDto,
) -> UiResult<AuditPage> {
    with_session(&state, move |s| {
        let me = regulator_of(s)?;
        let view = s.view_net().view(&me)?;
        let nonempty = |o: Option<String>| o.filter(|v| !v.trim().is_empty());
        let member = match nonempty(filter.member) {
            Some(m) => Some(parse_party("member", &m)?),
            None => None,
        };
        // A subject may be given by demo label or by pseudonym.
        let subject = match nonempty(filter.subject) {
            Some(v) => Some(match s.book().into_iter().find(|(l, _)| *l == v.trim()) {
                Some((_, p)) => p,
                None => parse_party("borrower", &v)?,
            }),
            None => None,
        };
        let f = regulator::AuditFilter {
            member,
            subject,
            kinds: filter.kinds.unwrap_or_default(),
            purpose: nonempty(filter.purpose),
            from: filter.from,
            to: filter.to,
        };
        let (events, total) =
            regulator::audit_trail(view, &f, filter.limit.unwrap_or(200).min(2000))?;
        let book = s.book();
        let events = events
            .into_iter()
            .map(|e| {
                let label = e
                    .subject
                    .and_then(|p| book.iter().find(|(_, b)| *b == p).map(|(l, _)| l.clone()));
                AuditEventDto {
                    subject_label: label,
                    ..AuditEventDto::from(e)
                }
            })
            .collect();
        Ok(AuditPage { events, total })
    })
    .await
}

// ---------------------------------------------------------------- borrower

#[derive(Serialize)]
struct BorrowerHome {
    label: String,
    subject: String,
    records: Vec<(RecordDto, PayloadDto)>,
    scores: Vec<(String, u32, u64)>,
    consents: Vec<ConsentDto>,
    access: Vec<AccessDto>,
    disputes: Vec<DisputeDto>,
    members: Vec<MemberDto>,
}

#[derive(Serialize)]
struct DisputeDto {
    dispute_id: String,
    record_id: String,
    reason: String,
    opened_at: u64,
    resolved_at: Option<u64>,
    outcome: Option<String>,
}

fn borrower_of<'a>(s: &'a Session, label: &str) -> UiResult<&'a credence_api::crypto::Identity> {
    s.keys().borrower(label).ok_or_else(|| {
        UiError::new(
            "not-found",
            format!("this app holds no key for \"{label}\""),
        )
    })
}

#[tauri::command]
async fn borrower_home(state: State<'_, AppState>, label: String) -> UiResult<BorrowerHome> {
    with_session(&state, move |s| {
        let me = borrower_of(s, &label)?;
        let reader = s.reader();
        let view = s.view_net().view(&reader)?;
        let now = s.view_net().now();
        let records = desk::my_records(view, me)?
            .into_iter()
            .map(|r| {
                let p = PayloadDto::from(&r.payload);
                (
                    RecordDto::from(desk::RecordRow {
                        info: r.info,
                        furnisher_name: r.furnisher_name,
                    }),
                    p,
                )
            })
            .collect();
        let disputes = read::disputes(view.conn(), Some(&me.party_id()))
            .map_err(credence_api::ApiError::from)?
            .into_iter()
            .map(|d| DisputeDto {
                dispute_id: hex_id(&d.dispute_id),
                record_id: hex_id(&d.record_id),
                reason: d.reason,
                opened_at: d.opened_at,
                resolved_at: d.resolved_at,
                outcome: d.outcome,
            })
            .collect();
        let mut access: Vec<AccessDto> = reads::access_log(view, &me.party_id())?
            .into_iter()
            .map(AccessDto::from)
            .collect();
        access.reverse();
        Ok(BorrowerHome {
            label: label.clone(),
            subject: me.party_id().to_hex(),
            records,
            scores: desk::my_scores(view, me)?,
            consents: desk::consents_of(view, &me.party_id(), now)?
                .into_iter()
                .map(ConsentDto::from)
                .collect(),
            access,
            disputes,
            members: regulator::members(view)?
                .iter()
                .map(MemberDto::from)
                .collect(),
        })
    })
    .await
}

#[tauri::command]
#[allow(clippy::too_many_arguments)]
async fn borrower_grant(
    state: State<'_, AppState>,
    label: String,
    grantee: String,
    purpose: String,
    kinds: Vec<String>,
    expires_in_days: u64,
    explicit: bool,
) -> UiResult<String> {
    with_session(&state, move |s| {
        let me = borrower_of(s, &label)?.clone();
        let grantee = parse_party("grantee", &grantee)?;
        let purpose = Purpose::parse(&purpose)
            .ok_or_else(|| UiError::bad_request(format!("unknown purpose \"{purpose}\"")))?;
        if !(1..=3650).contains(&expires_in_days) {
            return Err(UiError::bad_request(
                "a consent lasts from 1 day to 10 years",
            ));
        }
        let allowed = allowed_from_names(&kinds)?;
        let reader = s.reader();
        let expires = s.view_net().now() + expires_in_days * 86_400;
        let id = desk::grant(
            s.net(),
            &reader,
            &me,
            &grantee,
            purpose,
            allowed,
            expires,
            explicit,
        )?;
        Ok(hex_id(&id))
    })
    .await
}

#[tauri::command]
async fn borrower_revoke(
    state: State<'_, AppState>,
    label: String,
    consent_id: String,
) -> UiResult<u64> {
    with_session(&state, move |s| {
        let me = borrower_of(s, &label)?.clone();
        let id = parse_id("consent", &consent_id)?;
        let reader = s.reader();
        Ok(desk::revoke(s.net(), &reader, &me, &id)?)
    })
    .await
}

#[tauri::command]
async fn borrower_dispute(
    state: State<'_, AppState>,
    label: String,
    record_id: String,
    reason: String,
) -> UiResult<String> {
    with_session(&state, move |s| {
        let me = borrower_of(s, &label)?.clone();
        let id = parse_id("record", &record_id)?;
        let reason = DisputeReason::parse(&reason)
            .ok_or_else(|| UiError::bad_request(format!("unknown dispute reason \"{reason}\"")))?;
        let reader = s.reader();
        let d = desk::dispute(s.net(), &reader, &me, &id, reason)?;
        Ok(hex_id(&d))
    })
    .await
}

pub fn run() {
    let args: Vec<String> = std::env::args().collect();
    let startup = Startup::from_env(&args);
    tauri::Builder::default()
        .manage(AppState {
            startup,
            session: Arc::new(Mutex::new(None)),
            starting: Arc::new(Mutex::new(false)),
            interactive_ms: Mutex::new(None),
        })
        .invoke_handler(tauri::generate_handler![
            app_info,
            mark_interactive,
            start_demo,
            open_demo,
            create_keystore,
            unlock_keystore,
            current_session,
            close_session,
            officer_find,
            officer_borrower,
            officer_ask,
            officer_query,
            officer_furnish,
            officer_enrol,
            analyst_home,
            analyst_records,
            analyst_open,
            analyst_answer,
            set_auto_respond,
            regulator_home,
            regulator_audit,
            borrower_home,
            borrower_grant,
            borrower_revoke,
            borrower_dispute,
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
