//! "Open my identity": a person's own keystore and the consortium's profile.
//! The app then holds that one key and reaches the consortium only through a
//! member's client API, checked against the profile (no ledger file is
//! read). The home is the one the nodes know the key for: a borrower's, or
//! an officer's, analyst's or auditor's at their member.
use super::*;
use credence_api::borrower::BorrowerSession;
use credence_api::enrolment::EnrolRequest;
use credence_api::operator::OperatorSession;
use credence_api::own::OwnSession;
use credence_api::profile::Profile;

fn profile(path: &str) -> UiResult<Profile> {
    if path.trim().is_empty() {
        return Err(UiError::bad_request(
            "give the consortium's profile (profile.json, from your lender or the consortium)",
        ));
    }
    Ok(Profile::read(std::path::Path::new(path.trim()))?)
}

/// Create a new identity in `dir` and, when a profile and a lender are
/// given, its enrolment request for that lender, written beside it.
#[tauri::command]
pub async fn create_identity(
    dir: String,
    passphrase: String,
    profile_path: String,
    lender: String,
) -> UiResult<IdentityDto> {
    let p = secret(passphrase);
    tauri::async_runtime::spawn_blocking(move || {
        if dir.trim().is_empty() {
            return Err(UiError::bad_request("give a folder for your keystore"));
        }
        let lender = lender.trim().to_string();
        // Checked before the keystore is made, so a bad profile leaves nothing.
        let prof = if lender.is_empty() {
            None
        } else {
            let prof = profile(&profile_path)?;
            prof.member(&lender)?;
            Some(prof)
        };
        let home = Home::new(dir.trim());
        let a = home.create("me", &p, KdfParams::default())?;
        let request = match prof {
            None => None,
            Some(prof) => {
                let req = EnrolRequest::create(&prof, &a.identity, &lender)?;
                let file = home.dir.join(format!("enrol-request-{lender}.json"));
                req.write(&file)?;
                let text = std::fs::read_to_string(&file).map_err(credence_api::ApiError::from)?;
                Some((file.display().to_string(), text))
            }
        };
        IdentityDto::new(&home, &a.identity, request)
    })
    .await
    .map_err(|e| UiError::new("internal", e.to_string()))?
}

/// Unlock my keystore and reach the consortium through `via` (or the first
/// member that answers as the profile says). Closes any demo session: the
/// app holds one key.
#[tauri::command]
pub async fn open_identity(
    state: State<'_, AppState>,
    dir: String,
    profile_path: String,
    passphrase: String,
    via: String,
) -> UiResult<OwnInfo> {
    let p = secret(passphrase);
    let own = state.own.clone();
    let demo = state.session.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let prof = profile(&profile_path)?;
        let via = Some(via.trim()).filter(|v| !v.is_empty());
        let s = OwnSession::open_keystore(&Home::new(dir.trim()), &p, prof, via)?;
        let info = OwnInfo::new(&s, dir.trim())?;
        *lock(&demo) = None;
        *lock(&own) = Some(s);
        Ok(info)
    })
    .await
    .map_err(|e| UiError::new("internal", e.to_string()))?
}

#[tauri::command]
pub async fn close_identity(state: State<'_, AppState>) -> UiResult<()> {
    *lock(&state.own) = None;
    Ok(())
}

/// Run `f` on my open identity, off the UI thread.
async fn with_own<T, F>(state: &State<'_, AppState>, f: F) -> UiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&OwnSession) -> UiResult<T> + Send + 'static,
{
    let s = state.own.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let g = lock(&s);
        let own = g
            .as_ref()
            .ok_or_else(|| UiError::new("no-session", "no identity is open; open yours first"))?;
        f(own)
    })
    .await
    .map_err(|e| UiError::new("internal", format!("the task failed: {e}")))?
}

/// `f` on my identity as a borrower.
async fn as_borrower<T, F>(state: &State<'_, AppState>, f: F) -> UiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&BorrowerSession) -> UiResult<T> + Send + 'static,
{
    with_own(state, move |o| match o {
        OwnSession::Borrower(b) => f(b),
        OwnSession::Operator { .. } => Err(UiError::new(
            "not-permitted",
            "this identity is a member's operator, not a borrower",
        )),
    })
    .await
}

/// `f` on my identity as a member's operator.
async fn as_operator<T, F>(state: &State<'_, AppState>, f: F) -> UiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&OperatorSession) -> UiResult<T> + Send + 'static,
{
    with_own(state, move |o| match o {
        OwnSession::Operator { session, .. } => f(session),
        OwnSession::Borrower(_) => Err(UiError::new(
            "not-permitted",
            "this identity is a borrower's, not a member's operator",
        )),
    })
    .await
}

/// As an officer: ask about a borrower for my member; the answer as my
/// member's node reports it.
#[tauri::command]
pub async fn own_ask(
    state: State<'_, AppState>,
    subject: String,
    predicate: PredicateDto,
    target: Option<String>,
) -> UiResult<OwnAskDto> {
    as_operator(&state, move |s| {
        let subject = parse_party("borrower", &subject)?;
        let target = target.map(|t| parse_id("record", &t)).transpose()?;
        let started = Instant::now();
        let a = s.ask(
            &subject,
            predicate.to_predicate()?,
            target,
            std::time::Duration::from_secs(30),
        )?;
        Ok(OwnAskDto::new(a, started.elapsed().as_millis() as u64))
    })
    .await
}

/// As an officer: enrol the borrower whose request file this is.
#[tauri::command]
pub async fn own_enrol(state: State<'_, AppState>, request_path: String) -> UiResult<String> {
    as_operator(&state, move |s| {
        let req = EnrolRequest::read(std::path::Path::new(request_path.trim()))?;
        Ok(s.enrol(&req)?.0.to_hex())
    })
    .await
}

/// As a lender's officer: furnish the accounts of a furnishing file through
/// my member's node, with progress (`furnish-progress` events); a file with
/// a bad row sends nothing unless `skip_bad`.
#[tauri::command]
pub async fn own_furnish(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    path: String,
    skip_bad: bool,
) -> UiResult<FurnishDto> {
    as_operator(&state, move |s| {
        let path = path.trim();
        if path.is_empty() {
            return Err(UiError::bad_request(
                "give the furnishing file (CSV, as docs/furnish-csv.md describes)",
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| UiError::bad_request(format!("cannot read {path}: {e}")))?;
        let started = Instant::now();
        let r = s.furnish(&text, skip_bad, |done, total| {
            let _ = app.emit(
                "furnish-progress",
                ProgressDto {
                    stage: "furnish".into(),
                    done: done as u64,
                    total: total as u64,
                },
            );
        })?;
        Ok(FurnishDto {
            submitted: r.submitted,
            corrections: r.corrections,
            already: r.already,
            left_out: r.left_out.iter().map(|e| e.to_string()).collect(),
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    })
    .await
}

/// As an analyst: my member's records, opened here with my key.
#[tauri::command]
pub async fn own_records(state: State<'_, AppState>, limit: usize) -> UiResult<Vec<OwnRecordDto>> {
    as_operator(&state, move |s| {
        Ok(s.records(limit.min(1000))?
            .into_iter()
            .map(OwnRecordDto::from)
            .collect())
    })
    .await
}

/// As an analyst: my member's portfolio figures, over records opened here.
#[tauri::command]
pub async fn own_portfolio(state: State<'_, AppState>) -> UiResult<PortfolioDto> {
    as_operator(&state, |s| Ok(s.portfolio(1000)?.into())).await
}

/// As any operator: the consortium's questions and answers, newest first.
#[tauri::command]
pub async fn own_queries(state: State<'_, AppState>) -> UiResult<Vec<OwnQueryDto>> {
    as_operator(&state, |s| {
        s.queries()?
            .iter()
            .rev()
            .map(OwnQueryDto::from_json)
            .collect()
    })
    .await
}

/// As any operator: the consortium's members in every epoch, proven from
/// f+1 members.
#[tauri::command]
pub async fn own_membership(state: State<'_, AppState>) -> UiResult<OwnMembershipDto> {
    as_operator(&state, |s| Ok(s.membership()?.into())).await
}

/// As any operator: the alarms over the consortium's questions, from my
/// member's node.
#[tauri::command]
pub async fn own_alarms(state: State<'_, AppState>) -> UiResult<Vec<AlarmDto>> {
    as_operator(&state, |s| {
        Ok(s.alarms(credence_api::unix_now())?
            .iter()
            .map(AlarmDto::from)
            .collect())
    })
    .await
}

/// Keys declared compromised and how far each is re-sealed, through my
/// member's node (an auditor at the regulator watches these).
#[tauri::command]
pub async fn own_incidents(state: State<'_, AppState>) -> UiResult<Vec<IncidentDto>> {
    as_operator(&state, |s| {
        Ok(s.incidents()?.into_iter().map(IncidentDto::from).collect())
    })
    .await
}

/// The keystore in `dir`, if it holds `party` (the open identity): its
/// passphrase confirms a change to the key.
fn keystore_of(
    dir: &str,
    p: &credence_api::Secret<String>,
    party: credence_api::PartyId,
) -> UiResult<Home> {
    let home = Home::new(dir.trim());
    if home.unlock(p)?.identity.party_id() != party {
        return Err(UiError::bad_request(
            "that keystore is not the open identity's",
        ));
    }
    Ok(home)
}

/// Rotate my key (the keystore in `dir` is the open identity's; its
/// passphrase confirms the change): a borrower's on the ledger, an
/// operator's at their member's node.
#[tauri::command]
pub async fn own_rotate_key(
    state: State<'_, AppState>,
    dir: String,
    passphrase: String,
) -> UiResult<KeyRotatedDto> {
    let p = secret(passphrase);
    let own = state.own.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut g = lock(&own);
        let Some(s) = g.as_mut() else {
            return Err(UiError::new(
                "no-session",
                "no identity is open; open yours first",
            ));
        };
        let home = keystore_of(&dir, &p, s.party())?;
        Ok(KeyRotatedDto::from(s.rotate_key(&home, &p)?))
    })
    .await
    .map_err(|e| UiError::new("internal", e.to_string()))?
}

/// As a borrower whose key leaked: rotate to a new key declaring the old
/// one compromised as of `since` (unix seconds, not in the future), which
/// revokes the consents granted since; then re-seal every record still
/// sealed only to the leaked key. The height of the declaration and how
/// many records were re-sealed.
#[tauri::command]
pub async fn own_declare_leaked(
    state: State<'_, AppState>,
    dir: String,
    passphrase: String,
    since: u64,
) -> UiResult<LeakDeclaredDto> {
    let p = secret(passphrase);
    let own = state.own.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut g = lock(&own);
        let Some(OwnSession::Borrower(b)) = g.as_mut() else {
            return Err(UiError::new(
                "not-permitted",
                "only a borrower's own identity declares its key leaked here",
            ));
        };
        let home = keystore_of(&dir, &p, b.party())?;
        let height = b.declare_compromise(&home, &p, since)?;
        let resealed = b.reseal_leaked(|_, _| {})?;
        Ok(LeakDeclaredDto { height, resealed })
    })
    .await
    .map_err(|e| UiError::new("internal", e.to_string()))?
}

/// My home: records (opened here with my key), consents, access log and
/// disputes, as the member's node serves them.
#[tauri::command]
pub async fn own_home(state: State<'_, AppState>) -> UiResult<BorrowerHome> {
    as_borrower(&state, BorrowerHome::from_own).await
}

/// The member a party id names in my profile.
fn member_name(s: &BorrowerSession, party: &str) -> UiResult<String> {
    let want = parse_party("grantee", party)?;
    s.profile()
        .name_of(&want)
        .map(str::to_string)
        .ok_or_else(|| UiError::bad_request("that grantee is not a member in your profile"))
}

#[tauri::command]
pub async fn own_grant(
    state: State<'_, AppState>,
    grantee: String,
    purpose: String,
    kinds: Vec<String>,
    expires_in_days: u64,
) -> UiResult<String> {
    as_borrower(&state, move |s| {
        let to = member_name(s, &grantee)?;
        let purpose = Purpose::parse(&purpose)
            .ok_or_else(|| UiError::bad_request(format!("unknown purpose \"{purpose}\"")))?;
        let allowed = allowed_from_names(&kinds)?;
        Ok(hex_id(&s.grant(&to, purpose, allowed, expires_in_days)?))
    })
    .await
}

#[tauri::command]
pub async fn own_revoke(state: State<'_, AppState>, consent_id: String) -> UiResult<u64> {
    as_borrower(&state, move |s| {
        Ok(s.revoke(&parse_id("consent", &consent_id)?)?)
    })
    .await
}

#[tauri::command]
pub async fn own_freeze(state: State<'_, AppState>, frozen: bool) -> UiResult<u64> {
    as_borrower(&state, move |s| Ok(s.freeze(frozen)?)).await
}

#[tauri::command]
pub async fn own_dispute(
    state: State<'_, AppState>,
    record_id: String,
    reason: String,
) -> UiResult<String> {
    as_borrower(&state, move |s| {
        let id = parse_id("record", &record_id)?;
        let reason = DisputeReason::parse(&reason)
            .ok_or_else(|| UiError::bad_request(format!("unknown dispute reason \"{reason}\"")))?;
        Ok(hex_id(&s.dispute(&id, reason)?))
    })
    .await
}
