// Typed calls into the Rust commands (src-tauri/src/lib.rs). Errors arrive as
// { code, message } and are rethrown as UiError values.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { asUiError, type PredicateDto } from "./logic";

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asUiError(e);
  }
}

export interface AppInfo { version: string; demo_dir: string; demo_exists: boolean; subjects: number; session_open: boolean }
export interface Member { name: string; role: string; party: string }
export interface SessionInfo { dir: string; consortium: string; members: Member[]; borrowers: string[]; auto_respond: boolean; connected: boolean; height: number }
export interface Qr { width: number; modules: string }
export interface NewIdentity { keystore: string; party: string; sign_key: string; enc_key: string; request_file: string | null; request: string | null; request_qr: Qr | null }
export interface OwnInfo { party: string; role: string; consortium: string; via: string; members: Member[]; home: string }
export interface KeyRotated { height: number | null; member: string | null; retired_at: number | null }
export interface OwnAsk { query_id: string; predicate: string; purpose: string; status: string; holds: boolean | null; height: number; elapsed_ms: number }
export interface OwnRecord { record: RecordRow; payload: Payload; problem: string | null }
export interface Tenure { name: string; role: string; party: string; from_epoch: number; until_epoch: number | null }
export interface OwnMembership { consortium: string; epoch_length: number; tenures: Tenure[]; changes: { name: string; admitted: boolean; epoch: number; height: number }[] }
export interface FurnishReport { submitted: number; corrections: number; already: number; left_out: string[]; elapsed_ms: number }
export interface OwnQuery { query_id: string; requester: string; responder: string; subject: string; purpose: string; predicate: string; asked_at: number; holds: boolean | null; operator: string | null }
export interface Borrower { subject: string; label: string | null; records: number; live_consents_to_me: number }
export interface Consent { consent_id: string; grantee: string; grantee_name: string; purpose: string; predicates: string[]; expires_at: number; granted_at: number; revoked_at: number | null; explicit: boolean; live: boolean }
export interface RecordRow { record_id: string; subject: string; furnisher: string; furnisher_name: string; kind: string; status: string; compliance: string | null; corrects: string | null; height: number; at: number }
export interface Payload { kind: string; account_type: string | null; account_status: string | null; date_opened: string | null; date_of_account_information: string | null; date_of_first_delinquency: string | null; payment_history: string | null; attributes: [string, string][]; balance: number | null; credit_limit: number | null; past_due: number | null; scheduled_payment: number | null; days_past_due: number | null; serious_delinquency: boolean | null; monthly_income: number | null; source: string | null }
export interface Query { query_id: string; requester: string; requester_name: string; subject: string; consent_id: string; purpose: string; predicate: string; responder: string; asked_at: number; answered_at: number | null; holds: boolean | null }
export interface BorrowerFile { subject: string; label: string | null; consents: Consent[]; records: RecordRow[]; my_queries: Query[] }
export interface AskResult { query_id: string; predicate: string; purpose: string; consent_id: string; responder_name: string; status: string; holds: boolean | null; verified: boolean; elapsed_ms: number }
export interface Alarm { code: string; severity: string; title: string; detail: string; subject: string | null; member: string | null }
export interface Portfolio { subjects: number; live_tradelines: number; score_histogram: [number, number][]; scored_subjects: number; mean_score: number | null; status_counts: [string, number][]; days_past_due: number[]; serious_delinquency: number; subjects_with_serious_delinquency: number }
export interface AnalystHome { agency: string; portfolio: Portfolio; alarms: Alarm[]; queue: Query[]; records_total: number; auto_respond: boolean; node_answers: boolean }
export interface Pass { answered: number; refused: [string, string][]; elapsed_ms: number }
export interface Activity { from: number; width: number; buckets: number; series: { member: string; role: string; what: string; counts: number[] }[] }
export interface Counts { blocks: number; subjects: number; records: number; consents: number; revoked_consents: number; queries: number; answers: number; scores: number; disputes: number }
export interface Proposal { proposal_id: string; change: string; proposer: string; height: number; status: string; effective_epoch: number | null; votes: { voter: string; approve: boolean }[]; approvals: number; rejections: number; electorate: number; needed: number; refuse_at: number }
export interface Membership { epoch: number; proposals: Proposal[] }
export interface RegulatorHome { members: Member[]; counts: Counts; activity: Activity; alarms: Alarm[]; membership: Membership; incidents: Incident[] }
export interface Incident { party: string; subject_label: string | null; key_id: string; since: number; declared_at: number; height: number; revoked_consents: number; suspect_entries: string[]; records: number; resealed: number; erased: number; remaining: number }
export interface AuditEvent { at: number; kind: string; actor: string | null; actor_name: string; subject: string | null; subject_label: string | null; purpose: string | null; consent_id: string | null; query_id: string | null; predicate: string | null; holds: boolean | null; detail: string }
export interface AuditFilter { member?: string; subject?: string; kinds?: string[]; purpose?: string; from?: number; to?: number; limit?: number }
export interface Access { at: number; party: string; party_name: string; action: string; detail: string }
export interface Dispute { dispute_id: string; record_id: string; reason: string; opened_at: number; deadline: number; resolved_at: number | null; outcome: string | null }
export interface BorrowerHome { label: string; subject: string; records: [RecordRow, Payload][]; scores: [string, number, number][]; consents: Consent[]; access: Access[]; disputes: Dispute[]; members: Member[]; frozen_since: number | null; checked: MemberCheck[] | null }
export interface MemberCheck { name: string; honest: boolean; missing: number; refused: number; unreachable: string | null }
export interface Tradeline { account_type: string; account_status: string; date_opened: string; date_of_account_information: string; date_of_first_delinquency: string | null; payment_history: string; balance: number; credit_limit: number; past_due: number; scheduled_payment: number; days_past_due: number; serious_delinquency: boolean }
export interface Progress { stage: string; done: number; total: number }

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  markInteractive: () => call<number>("mark_interactive"),
  startDemo: (dir: string, subjects: number, passphrase: string) => call<SessionInfo>("start_demo", { dir, subjects, passphrase }),
  openDemo: (dir: string, passphrase: string) => call<SessionInfo>("open_demo", { dir, passphrase }),
  createIdentity: (dir: string, passphrase: string, profilePath: string, lender: string) => call<NewIdentity>("create_identity", { dir, passphrase, profilePath, lender }),
  openIdentity: (dir: string, profilePath: string, passphrase: string, via: string) => call<OwnInfo>("open_identity", { dir, profilePath, passphrase, via }),
  closeIdentity: () => call<void>("close_identity"),
  ownHome: () => call<BorrowerHome>("own_home"),
  ownGrant: (grantee: string, purpose: string, kinds: string[], expiresInDays: number) => call<string>("own_grant", { grantee, purpose, kinds, expiresInDays }),
  ownRevoke: (consentId: string) => call<number>("own_revoke", { consentId }),
  ownFreeze: (frozen: boolean) => call<number>("own_freeze", { frozen }),
  ownDeclareLeaked: (dir: string, passphrase: string, since: number) => call<{ height: number; resealed: number }>("own_declare_leaked", { dir, passphrase, since }),
  ownIncidents: () => call<Incident[]>("own_incidents"),
  ownRotateKey: (dir: string, passphrase: string) => call<KeyRotated>("own_rotate_key", { dir, passphrase }),
  ownDispute: (recordId: string, reason: string) => call<string>("own_dispute", { recordId, reason }),
  ownAsk: (subject: string, predicate: PredicateDto, target: string | null) => call<OwnAsk>("own_ask", { subject, predicate, target }),
  ownEnrol: (requestPath: string) => call<string>("own_enrol", { requestPath }),
  ownRecords: (limit: number) => call<OwnRecord[]>("own_records", { limit }),
  ownQueries: () => call<OwnQuery[]>("own_queries"),
  ownMembership: () => call<OwnMembership>("own_membership"),
  ownAlarms: () => call<Alarm[]>("own_alarms"),
  ownPortfolio: () => call<Portfolio>("own_portfolio"),
  ownFurnish: (path: string, skipBad: boolean) => call<FurnishReport>("own_furnish", { path, skipBad }),
  onFurnishProgress: (f: (p: Progress) => void): Promise<UnlistenFn> => listen<Progress>("furnish-progress", (e) => f(e.payload)),
  currentSession: () => call<SessionInfo>("current_session"),
  closeSession: () => call<void>("close_session"),
  officerFind: (bank: string, needle: string) => call<Borrower[]>("officer_find", { bank, needle }),
  officerBorrower: (bank: string, subject: string) => call<BorrowerFile>("officer_borrower", { bank, subject }),
  officerAsk: (bank: string, subject: string, predicate: PredicateDto, target: string | null) => call<AskResult>("officer_ask", { bank, subject, predicate, target }),
  officerQuery: (bank: string, queryId: string) => call<AskResult>("officer_query", { bank, queryId }),
  officerFurnish: (bank: string, subject: string, tradeline: Tradeline, corrects: string | null) => call<string>("officer_furnish", { bank, subject, tradeline, corrects }),
  officerEnrol: (bank: string) => call<Borrower>("officer_enrol", { bank }),
  analystHome: () => call<AnalystHome>("analyst_home"),
  analystRecords: (offset: number, limit: number) => call<[RecordRow[], number]>("analyst_records", { offset, limit }),
  analystOpen: (recordId: string) => call<Payload>("analyst_open", { recordId }),
  analystAnswer: (queryId: string | null) => call<Pass>("analyst_answer", { queryId }),
  setAutoRespond: (on: boolean) => call<boolean>("set_auto_respond", { on }),
  regulatorHome: (buckets: number) => call<RegulatorHome>("regulator_home", { buckets }),
  regulatorAudit: (filter: AuditFilter) => call<{ events: AuditEvent[]; total: number }>("regulator_audit", { filter }),
  borrowerHome: (label: string) => call<BorrowerHome>("borrower_home", { label }),
  borrowerGrant: (label: string, grantee: string, purpose: string, kinds: string[], expiresInDays: number, explicit: boolean) =>
    call<string>("borrower_grant", { label, grantee, purpose, kinds, expiresInDays, explicit }),
  borrowerRevoke: (label: string, consentId: string) => call<number>("borrower_revoke", { label, consentId }),
  borrowerFreeze: (label: string, frozen: boolean) => call<number>("borrower_freeze", { label, frozen }),
  borrowerDispute: (label: string, recordId: string, reason: string) => call<string>("borrower_dispute", { label, recordId, reason }),
  onProgress: (f: (p: Progress) => void): Promise<UnlistenFn> => listen<Progress>("demo-progress", (e) => f(e.payload)),
};
