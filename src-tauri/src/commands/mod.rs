//! The Tauri commands, one module per home. Each is a thin call: parse the
//! arguments, call `credence_api` off the UI thread, shape the result as a
//! DTO of `crate::dto`.
pub mod analyst;
pub mod borrower;
pub mod identity;
pub mod officer;
pub mod regulator;
pub mod start;

use crate::dto::*;
use crate::error::{UiError, UiResult};
use crate::AppState;
use credence_api::demo::{self, DemoMode, DemoOptions, Progress};
use credence_api::desk;
use credence_api::home::Home;
use credence_api::read;
use credence_api::reads::{self, party_name};
use credence_api::session::Session;
use credence_api::KdfParams;
use credence_api::Secret;
use credence_api::{DisputeReason, Purpose, Role};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tauri::{Emitter, State};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Run `f` on the open session on a blocking thread (never the UI thread).
pub(crate) async fn with_session<T, F>(state: &State<'_, AppState>, f: F) -> UiResult<T>
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

pub(crate) fn secret(p: String) -> Secret<String> {
    Secret::new(p)
}
