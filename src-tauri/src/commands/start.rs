//! The first screen: app facts, starting or opening the demo consortium,
//! keystores, and the session.
use super::*;

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> UiResult<AppInfo> {
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
pub async fn mark_interactive(state: State<'_, AppState>) -> UiResult<u64> {
    let mut g = lock(&state.interactive_ms);
    let ms = *g.get_or_insert_with(|| state.startup.started.elapsed().as_millis() as u64);
    println!("first-screen-interactive-ms={ms}");
    Ok(ms)
}

fn session_info(s: &Session) -> UiResult<SessionInfo> {
    let view = s.view(&s.reader()?)?;
    let members = read::members(view)
        .map_err(credence_api::ApiError::from)?
        .iter()
        .map(MemberDto::from)
        .collect();
    Ok(SessionInfo {
        dir: s.dir.display().to_string(),
        consortium: "credence-demo".into(),
        members,
        borrowers: s.keys().borrowers.iter().map(|(l, _)| l.clone()).collect(),
        auto_respond: s.auto_respond(),
        connected: s.node_answers(),
        height: view
            .head()
            .map_err(credence_api::ApiError::from)?
            .map(|h| h.height)
            .unwrap_or(0),
    })
}

fn install(state: &AppState, dir: PathBuf, c: demo::DemoConsortium) -> UiResult<SessionInfo> {
    let s = Session::new(dir, c);
    let info = session_info(&s)?;
    // The app holds either the demo's keys or one person's, never both.
    *lock(&state.own) = None;
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
pub async fn start_demo(
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
pub async fn open_demo(
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

#[tauri::command]
pub async fn current_session(state: State<'_, AppState>) -> UiResult<SessionInfo> {
    with_session(&state, |s| session_info(s)).await
}

#[tauri::command]
pub async fn close_session(state: State<'_, AppState>) -> UiResult<()> {
    let s = state.session.clone();
    tauri::async_runtime::spawn_blocking(move || {
        *lock(&s) = None;
    })
    .await
    .map_err(|e| UiError::new("internal", e.to_string()))
}
