//! Records: a furnisher's tradelines and incomes, validated, committed,
//! proven and sealed to their readers; and opening a record sealed to me.
use super::*;

/// A tradeline as a furnisher enters it. Amounts are in cents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradelineInput {
    pub account_type: String,
    pub account_status: String,
    pub date_opened: String,
    pub date_of_account_information: String,
    pub date_of_first_delinquency: Option<String>,
    pub payment_history: String,
    pub attributes: Vec<(String, String)>,
    pub balance: u64,
    pub credit_limit: u64,
    pub past_due: u64,
    pub scheduled_payment: u64,
    pub days_past_due: u64,
    pub serious_delinquency: bool,
}

pub const ACCOUNT_TYPES: [(&str, &str); 4] = [
    ("instalment", "I"),
    ("revolving", "R"),
    ("mortgage", "M"),
    ("open", "O"),
];

pub const ACCOUNT_STATUSES: [&str; 11] = [
    "11", "13", "71", "78", "80", "82", "83", "84", "93", "97", "05",
];

pub(super) fn check_date(field: &str, v: &str) -> Result<()> {
    let b = v.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&v[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&v[8..10].parse::<u32>().unwrap_or(0));
    if !ok {
        return Err(ApiError::invalid(format!(
            "{field} must be a date as YYYY-MM-DD"
        )));
    }
    Ok(())
}

pub(super) fn check_amount(field: &str, v: u64) -> Result<()> {
    if v >= 1u64 << FIELD_BITS {
        return Err(ApiError::invalid(format!(
            "{field} is too large: amounts are in cents and must be below {} (2^{FIELD_BITS})",
            1u64 << FIELD_BITS
        )));
    }
    Ok(())
}

impl TradelineInput {
    pub fn validate(&self) -> Result<()> {
        if !ACCOUNT_TYPES.iter().any(|(t, _)| *t == self.account_type) {
            return Err(ApiError::invalid(
                "account type must be one of instalment, revolving, mortgage, open",
            ));
        }
        if !ACCOUNT_STATUSES.contains(&self.account_status.as_str()) {
            return Err(ApiError::invalid(format!(
                "account status must be a Metro 2 code: {}",
                ACCOUNT_STATUSES.join(", ")
            )));
        }
        check_date("date opened", &self.date_opened)?;
        check_date(
            "date of account information",
            &self.date_of_account_information,
        )?;
        if let Some(d) = &self.date_of_first_delinquency {
            check_date("date of first delinquency", d)?;
        }
        if self.payment_history.chars().count() != 24
            || !self
                .payment_history
                .chars()
                .all(|c| "0123456BDEGL".contains(c))
        {
            return Err(ApiError::invalid(
                "payment history must be 24 months, each one of 0-6, B, D, E, G, L (Metro 2 profile)",
            ));
        }
        for (f, v) in [
            ("balance", self.balance),
            ("credit limit", self.credit_limit),
            ("amount past due", self.past_due),
            ("scheduled payment", self.scheduled_payment),
            ("days past due", self.days_past_due),
        ] {
            check_amount(f, v)?;
        }
        Ok(())
    }

    pub(super) fn values(&self) -> [u64; tradeline::FIELDS] {
        let mut v = [0u64; tradeline::FIELDS];
        v[tradeline::BALANCE] = self.balance;
        v[tradeline::CREDIT_LIMIT] = self.credit_limit;
        v[tradeline::PAST_DUE] = self.past_due;
        v[tradeline::SCHEDULED_PAYMENT] = self.scheduled_payment;
        v[tradeline::DAYS_PAST_DUE] = self.days_past_due;
        v[tradeline::SERIOUS_DELINQUENCY] = self.serious_delinquency as u64;
        v
    }
}

pub(super) fn subject_key(view: &Ledger, subject: &PartyId) -> Result<PublicIdentity> {
    read::subject_key(view, subject)?
        .ok_or_else(|| ApiError::not_found(format!("subject {} is not enrolled", subject.short())))
}

/// Who a new record about `subject` is sealed to: its furnisher, the subject
/// (FCRA §609), and every agency holding the subject's live consent.
pub fn record_recipients(
    view: &Ledger,
    furnisher: &Identity,
    subject: &PartyId,
    now: u64,
) -> Result<Vec<PublicIdentity>> {
    recipients_for(view, &furnisher.public(), subject, now)
}

/// Who a record of `furnisher`'s about `subject` is sealed to at `now`: the
/// furnisher, the subject's current key, and the agencies it consents to.
pub fn recipients_for(
    view: &Ledger,
    furnisher: &PublicIdentity,
    subject: &PartyId,
    now: u64,
) -> Result<Vec<PublicIdentity>> {
    let mut out = vec![*furnisher, subject_key(view, subject)?];
    for c in read::consents_of_subject(view, subject)? {
        if !c.live_at(now) {
            continue;
        }
        if let Some(m) = read::member(view, &c.consent.grantee)? {
            if m.role == Role::Agency && !out.contains(&m.key) {
                out.push(m.key);
            }
        }
    }
    Ok(out)
}

pub(super) fn build_record(
    recipients: &[PublicIdentity],
    furnisher: &Identity,
    subject: &PartyId,
    kind: RecordKind,
    values: &[u64],
    make_payload: impl FnOnce(Vec<Opening>) -> Payload,
    corrects: Option<Id>,
) -> Result<(Id, SignedEntry)> {
    build_record_sealing(
        recipients,
        furnisher,
        subject,
        kind,
        values,
        |openings| make_payload(openings).encode(),
        corrects,
    )
}

/// `build_record` with the sealed bytes made by `seal_bytes` from the
/// openings (a faulty furnisher's way in; see `SealFault`).
pub(super) fn build_record_sealing(
    recipients: &[PublicIdentity],
    furnisher: &Identity,
    subject: &PartyId,
    kind: RecordKind,
    values: &[u64],
    seal_bytes: impl FnOnce(Vec<Opening>) -> Vec<u8>,
    corrects: Option<Id>,
) -> Result<(Id, SignedEntry)> {
    let record_id = new_id();
    let (commitments, openings): (Vec<Commitment>, Vec<Opening>) =
        values.iter().map(|v| commit(*v, &mut OsRng)).unzip();
    let bytes = seal_bytes(openings.clone());
    let (sealed, _key) = seal(furnisher, record_id, &bytes, recipients, &mut OsRng)?;
    let mut r = RecordFurnished {
        record_id,
        subject: *subject,
        furnisher: furnisher.party_id(),
        kind,
        corrects,
        commitments,
        validity: credence_crypto::proof::ValidityProof(vec![]),
        sealed,
    };
    r.validity = prove_validity(&record_validity_context(&r), &openings)?;
    Ok((
        record_id,
        sign_entry(Entry::RecordFurnished(r), &[furnisher]),
    ))
}

/// Furnish (or, with `corrects`, correct) a tradeline.
pub fn furnish_tradeline(
    view: &Ledger,
    furnisher: &Identity,
    subject: &PartyId,
    input: &TradelineInput,
    corrects: Option<Id>,
    now: u64,
) -> Result<(Id, SignedEntry)> {
    input.validate()?;
    let recipients = record_recipients(view, furnisher, subject, now)?;
    tradeline_entry(&recipients, furnisher, subject, input, corrects)
}

/// `furnish_tradeline` with the recipients already resolved (no ledger access,
/// so it can run on any thread).
pub fn tradeline_entry(
    recipients: &[PublicIdentity],
    furnisher: &Identity,
    subject: &PartyId,
    input: &TradelineInput,
    corrects: Option<Id>,
) -> Result<(Id, SignedEntry)> {
    input.validate()?;
    build_record(
        recipients,
        furnisher,
        subject,
        RecordKind::Tradeline,
        &input.values(),
        |amounts| tradeline_payload(input, amounts),
        corrects,
    )
}

/// The sealed content of a tradeline: `input`'s fields and the openings.
pub(super) fn tradeline_payload(input: &TradelineInput, amounts: Vec<Opening>) -> Payload {
    let portfolio = ACCOUNT_TYPES
        .iter()
        .find(|(t, _)| *t == input.account_type)
        .map(|(_, p)| p.to_string())
        .unwrap_or_default();
    Payload::Tradeline(TradelinePayload {
        account_type: input.account_type.clone(),
        portfolio_type: portfolio,
        account_status: input.account_status.clone(),
        date_opened: input.date_opened.clone(),
        date_of_account_information: input.date_of_account_information.clone(),
        date_of_first_delinquency: input.date_of_first_delinquency.clone(),
        payment_history: input.payment_history.clone(),
        attributes: input.attributes.clone(),
        amounts,
    })
}

/// Furnish a verified monthly income (cents).
pub fn furnish_income(
    view: &Ledger,
    furnisher: &Identity,
    subject: &PartyId,
    monthly_income: u64,
    source: &str,
    now: u64,
) -> Result<(Id, SignedEntry)> {
    let recipients = record_recipients(view, furnisher, subject, now)?;
    income_entry(&recipients, furnisher, subject, monthly_income, source)
}

/// `furnish_income` with the recipients already resolved.
pub fn income_entry(
    recipients: &[PublicIdentity],
    furnisher: &Identity,
    subject: &PartyId,
    monthly_income: u64,
    source: &str,
) -> Result<(Id, SignedEntry)> {
    check_amount("monthly income", monthly_income)?;
    build_record(
        recipients,
        furnisher,
        subject,
        RecordKind::Income,
        &[monthly_income],
        |mut o| {
            Payload::Income(IncomePayload {
                source: source.to_string(),
                monthly_income: o.remove(0),
            })
        },
        None,
    )
}

/// Open a record sealed to `me`, checked: its content must open the
/// record's commitments on the ledger, else it is refused (`bad-seal`) and
/// none of its values is used.
pub fn open_record(view: &Ledger, me: &Identity, record_id: &Id) -> Result<Payload> {
    let (p, mismatch) = open_record_as_sealed(view, me, record_id)?;
    match mismatch {
        None => Ok(p),
        Some(why) => Err(ApiError::new(
            ErrorCode::Rejected(credence_ledger::RejectCode::BadSeal),
            format!(
                "record {} cannot be used: {why} (its furnisher sealed content that does not match the ledger)",
                hex::encode(&record_id[..8])
            ),
        )),
    }
}

/// Open a record sealed to `me` as it was sealed, with whether (and how) it
/// fails to open its commitments: for showing a record to its reader, never
/// for computing with it.
pub fn open_record_as_sealed(
    view: &Ledger,
    me: &Identity,
    record_id: &Id,
) -> Result<(Payload, Option<credence_ledger::payload::SealMismatch>)> {
    let (rec, extra) = read::furnished(view, record_id)?;
    open_furnished(me, &rec, &extra)
}

/// Open a furnished record sealed to `me` (as a node serves it, with the
/// wraps shared since), and whether it fails to open its commitments.
pub fn open_furnished(
    me: &Identity,
    rec: &RecordFurnished,
    extra: &[credence_crypto::seal::WrappedKey],
) -> Result<(Payload, Option<credence_ledger::payload::SealMismatch>)> {
    let record_id = &rec.record_id;
    let bytes = rec.sealed.open(me, extra)?;
    let p = Payload::decode(bytes.expose()).map_err(|e| {
        ApiError::new(
            ErrorCode::Rejected(credence_ledger::RejectCode::BadSeal),
            format!(
                "record {}: its sealed content is malformed ({e})",
                hex::encode(&record_id[..8])
            ),
        )
    })?;
    let mismatch = p.check_openings(&rec.commitments).err();
    Ok((p, mismatch))
}
