//! The furnishing file (`docs/furnish-csv.md`): one row per account update,
//! Metro 2 base-segment fields by name. Every bad field is named by line
//! and column; a row is used whole or not at all.
use crate::actions::{TradelineInput, ACCOUNT_STATUSES, ACCOUNT_TYPES};
use credence_crypto::PartyId;
use std::collections::HashMap;

/// The columns, in the order the documentation lists them. A file must
/// have each once (any order); `date_of_first_delinquency` may be empty.
pub const COLUMNS: [&str; 13] = [
    "borrower",
    "account",
    "account_type",
    "account_status",
    "date_opened",
    "date_of_account_information",
    "date_of_first_delinquency",
    "payment_history",
    "credit_limit",
    "balance",
    "amount_past_due",
    "scheduled_payment",
    "days_past_due",
];

/// Columns a file may have: `attributes`, the furnisher's own descriptive
/// attributes as a JSON object of text values (`{"purpose": "car (new)"}`).
pub const OPTIONAL_COLUMNS: [&str; 1] = ["attributes"];

/// Most attributes on one row, and their longest name and value.
const MAX_ATTRIBUTES: usize = 24;
const MAX_ATTRIBUTE_NAME: usize = 64;
const MAX_ATTRIBUTE_VALUE: usize = 120;

/// One account update, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FurnishRow {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub subject: PartyId,
    /// The furnisher's own account number.
    pub account: String,
    pub input: TradelineInput,
}

/// Why one field of one row cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub why: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.why
        )
    }
}

/// The `attributes` field: empty, or a JSON object of text values, each
/// name and value non-empty and bounded; in name order.
fn attributes(v: &str) -> Result<Vec<(String, String)>, String> {
    if v.is_empty() {
        return Ok(Vec::new());
    }
    let map: std::collections::BTreeMap<String, String> = serde_json::from_str(v)
        .map_err(|e| format!("not a JSON object of text values ({{\"purpose\": \"car\"}}): {e}"))?;
    if map.len() > MAX_ATTRIBUTES {
        return Err(format!(
            "{} attributes; at most {MAX_ATTRIBUTES}",
            map.len()
        ));
    }
    for (k, val) in &map {
        if k.trim().is_empty() || k.len() > MAX_ATTRIBUTE_NAME || k == "account" {
            return Err(format!(
                "attribute name {k:?}: 1 to {MAX_ATTRIBUTE_NAME} characters, and not \"account\" (the account column)"
            ));
        }
        if val.trim().is_empty()
            || val.len() > MAX_ATTRIBUTE_VALUE
            || val.chars().any(char::is_control)
        {
            return Err(format!(
                "attribute {k:?}: its value must be 1 to {MAX_ATTRIBUTE_VALUE} characters of text"
            ));
        }
    }
    Ok(map.into_iter().collect())
}

/// An amount in cents as the file writes it ("1234.56").
fn amount_text(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A furnishing file (with the `attributes` column) holding `rows`: each
/// borrower, account number and update. `parse` reads it back to the same
/// rows; a row's `account` attribute is its account column.
pub fn write(rows: &[(PartyId, String, TradelineInput)]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head: Vec<&str> = COLUMNS
        .iter()
        .chain(OPTIONAL_COLUMNS.iter())
        .copied()
        .collect();
    w.write_record(&head).map_err(|e| e.to_string())?;
    for (subject, account, t) in rows {
        let attrs: std::collections::BTreeMap<&str, &str> = t
            .attributes
            .iter()
            .filter(|(k, _)| k != "account")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&attrs).map_err(|e| e.to_string())?
        };
        w.write_record([
            subject.to_hex(),
            account.clone(),
            t.account_type.clone(),
            t.account_status.clone(),
            t.date_opened.clone(),
            t.date_of_account_information.clone(),
            t.date_of_first_delinquency.clone().unwrap_or_default(),
            t.payment_history.clone(),
            amount_text(t.credit_limit),
            amount_text(t.balance),
            amount_text(t.past_due),
            amount_text(t.scheduled_payment),
            t.days_past_due.to_string(),
            attrs,
        ])
        .map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

/// An amount in currency units with at most two decimals ("1234.5",
/// "1234.56", "1234"), as cents.
fn cents(v: &str) -> Result<u64, String> {
    let (units, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(units) || !(frac.is_empty() || (frac.len() <= 2 && digits(frac))) {
        return Err(format!(
            "{v:?} is not an amount (digits, then at most two decimals: 1234.56)"
        ));
    }
    let frac = format!("{frac:0<2}");
    units
        .parse::<u64>()
        .ok()
        .and_then(|u| u.checked_mul(100))
        .and_then(|u| u.checked_add(frac.parse::<u64>().ok()?))
        .ok_or_else(|| format!("{v:?} is too large"))
}

/// A serious delinquency, as the questions use it: 90 days or more late
/// in the 24-month history (Metro 2 profile codes 3–6), or a collection
/// or charge-off status.
fn serious(history: &str, status: &str) -> bool {
    history.chars().any(|c| ('3'..='6').contains(&c)) || ["93", "97"].contains(&status)
}

/// Read a furnishing file: the rows that can be used, and every field that
/// cannot (a row with any bad field is left out whole).
pub fn parse(text: &str) -> Result<(Vec<FurnishRow>, Vec<RowError>), RowError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header_error = |why: String| RowError {
        line: 1,
        column: "(header)".into(),
        why,
    };
    let headers = r
        .headers()
        .map_err(|e| header_error(format!("not a CSV header: {e}")))?
        .clone();
    let mut at = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        if !COLUMNS.contains(&h) && !OPTIONAL_COLUMNS.contains(&h) {
            return Err(header_error(format!(
                "unknown column {h:?}; the columns are {}, and optionally {}",
                COLUMNS.join(", "),
                OPTIONAL_COLUMNS.join(", ")
            )));
        }
        if at.insert(h.to_string(), i).is_some() {
            return Err(header_error(format!("column {h:?} appears twice")));
        }
    }
    if let Some(missing) = COLUMNS.iter().find(|c| !at.contains_key(**c)) {
        return Err(header_error(format!("column {missing:?} is missing")));
    }
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for (n, record) in r.records().enumerate() {
        let line = n as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    line,
                    column: "(row)".into(),
                    why: format!("not a CSV row of {} fields: {e}", COLUMNS.len()),
                });
                continue;
            }
        };
        let mut bad = Vec::new();
        let field = |c: &str| record.get(at[c]).unwrap_or("").trim().to_string();
        let mut check = |c: &str, why: Option<String>| {
            if let Some(why) = why {
                bad.push(RowError {
                    line,
                    column: c.into(),
                    why,
                });
            }
        };
        let subject = PartyId::from_hex(&field("borrower")).ok();
        check(
            "borrower",
            subject
                .is_none()
                .then(|| "not a party id (64 hex digits)".into()),
        );
        let account = field("account");
        check(
            "account",
            (account.is_empty()
                || account.len() > 30
                || !account
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            .then(|| "1 to 30 letters, digits or dashes".into()),
        );
        let account_type = field("account_type");
        check(
            "account_type",
            (!ACCOUNT_TYPES.iter().any(|(t, _)| *t == account_type)).then(|| {
                let names: Vec<&str> = ACCOUNT_TYPES.iter().map(|(t, _)| *t).collect();
                format!("{account_type:?} is not one of {}", names.join(", "))
            }),
        );
        let status = field("account_status");
        check(
            "account_status",
            (!ACCOUNT_STATUSES.contains(&status.as_str())).then(|| {
                format!(
                    "{status:?} is not a Metro 2 account status ({})",
                    ACCOUNT_STATUSES.join(", ")
                )
            }),
        );
        let mut amount = |c: &str| match cents(&field(c)) {
            Ok(v) => v,
            Err(why) => {
                check(c, Some(why));
                0
            }
        };
        let (credit_limit, balance, past_due, scheduled) = (
            amount("credit_limit"),
            amount("balance"),
            amount("amount_past_due"),
            amount("scheduled_payment"),
        );
        let days = field("days_past_due");
        let days_past_due = days.parse::<u64>().ok().filter(|d| *d <= 9_999);
        check(
            "days_past_due",
            days_past_due
                .is_none()
                .then(|| format!("{days:?} is not a whole number of days (0 to 9999)")),
        );
        let extra = match at.get("attributes") {
            None => Vec::new(),
            Some(&i) => match attributes(record.get(i).unwrap_or("").trim()) {
                Ok(v) => v,
                Err(why) => {
                    check("attributes", Some(why));
                    Vec::new()
                }
            },
        };
        let history = field("payment_history");
        let first_delinquency = Some(field("date_of_first_delinquency")).filter(|d| !d.is_empty());
        let input = TradelineInput {
            account_type,
            account_status: status.clone(),
            date_opened: field("date_opened"),
            date_of_account_information: field("date_of_account_information"),
            date_of_first_delinquency: first_delinquency,
            serious_delinquency: serious(&history, &status),
            payment_history: history,
            attributes: std::iter::once(("account".to_string(), account.clone()))
                .chain(extra)
                .collect(),
            balance,
            credit_limit,
            past_due,
            scheduled_payment: scheduled,
            days_past_due: days_past_due.unwrap_or(0),
        };
        // What the ledger's own checks say (dates, history, ranges), named
        // by the column they are about.
        if bad.is_empty() {
            if let Err(e) = input.validate() {
                let column = [
                    ("date opened", "date_opened"),
                    ("date of account information", "date_of_account_information"),
                    ("date of first delinquency", "date_of_first_delinquency"),
                    ("payment history", "payment_history"),
                    ("balance", "balance"),
                    ("credit limit", "credit_limit"),
                    ("amount past due", "amount_past_due"),
                    ("scheduled payment", "scheduled_payment"),
                    ("days past due", "days_past_due"),
                ]
                .iter()
                .find(|(words, _)| e.message.starts_with(words))
                .map(|(_, c)| *c)
                .unwrap_or("(row)");
                bad.push(RowError {
                    line,
                    column: column.into(),
                    why: e.message,
                });
            }
        }
        match (bad.is_empty(), subject) {
            (true, Some(subject)) => rows.push(FurnishRow {
                line,
                subject,
                account,
                input,
            }),
            _ => errors.extend(bad),
        }
    }
    Ok((rows, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "borrower,account,account_type,account_status,date_opened,date_of_account_information,date_of_first_delinquency,payment_history,credit_limit,balance,amount_past_due,scheduled_payment,days_past_due\n";

    fn row(borrower: &str, balance: &str, history: &str) -> String {
        format!("{borrower},AC-1,revolving,11,2020-01-15,2026-10-31,,{history},5000.00,{balance},0,150.5,0\n")
    }

    #[test]
    fn good_rows_are_read_and_every_bad_field_is_named() {
        let who = "ab".repeat(32);
        let good = row(&who, "1234.56", &"0".repeat(24));
        let text = format!(
            "{HEAD}{good}{}{}{}",
            row("zz", "12.345", &"0".repeat(24)),
            row(&who, "10", "0003"),
            row(&who, "10", &format!("3{}", "0".repeat(23)))
        );
        let (rows, errors) = parse(&text).unwrap();
        assert_eq!(rows.len(), 2, "{errors:?}");
        let r = &rows[0];
        assert_eq!((r.line, r.account.as_str()), (2, "AC-1"));
        assert_eq!(
            (
                r.input.balance,
                r.input.credit_limit,
                r.input.scheduled_payment
            ),
            (123_456, 500_000, 15_050)
        );
        assert!(!r.input.serious_delinquency);
        assert!(
            rows[1].input.serious_delinquency,
            "90+ days late in the history"
        );
        let said: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(said[0].starts_with("line 3, column borrower:"), "{said:?}");
        assert!(said[1].starts_with("line 3, column balance:"), "{said:?}");
        assert!(
            said[2].starts_with("line 4, column payment_history:"),
            "{said:?}"
        );
    }

    #[test]
    fn attributes_are_a_json_object_and_written_rows_read_back() {
        let who = PartyId([0xab; 32]);
        let plain = row(&who.to_hex(), "10", &"0".repeat(24));
        let plain = plain.trim_end();
        let text = format!(
            "{},attributes\n{plain},\"{{\"\"savings\"\": \"\"... >= 1000 DM\"\", \"\"purpose\"\": \"\"car (new)\"\"}}\"\n{plain},\"[1, 2]\"\n",
            HEAD.trim_end()
        );
        let (rows, errors) = parse(&text).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].input.attributes,
            [
                ("account".to_string(), "AC-1".to_string()),
                ("purpose".into(), "car (new)".into()),
                ("savings".into(), "... >= 1000 DM".into()),
            ]
        );
        assert_eq!(
            (errors[0].line, errors[0].column.as_str()),
            (3, "attributes")
        );
        // Written by `write`, read back to the same rows.
        let again = write(&[(who, rows[0].account.clone(), rows[0].input.clone())]).unwrap();
        let (back, errors) = parse(&again).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!((back[0].subject, &back[0].input), (who, &rows[0].input));
        // No name "account", no empty value, no more than the limit.
        for bad in [r#"{"account": "x"}"#, r#"{"purpose": ""}"#, r#"{"": "x"}"#] {
            assert!(attributes(bad).is_err(), "{bad}");
        }
        let many: std::collections::BTreeMap<String, &str> = (0..=MAX_ATTRIBUTES)
            .map(|i| (format!("k{i}"), "v"))
            .collect();
        assert!(attributes(&serde_json::to_string(&many).unwrap()).is_err());
    }

    #[test]
    fn a_bad_header_is_refused_whole() {
        let e = parse("borrower,account\n").unwrap_err();
        assert!(e.to_string().contains("is missing"), "{e}");
        let e = parse(&HEAD.replace("balance", "balanse")).unwrap_err();
        assert!(e.to_string().contains("unknown column \"balanse\""), "{e}");
        let (rows, errors) = parse(&format!("{HEAD}a,b\n")).unwrap();
        assert!(rows.is_empty());
        assert_eq!(errors[0].column, "(row)");
    }

    #[test]
    fn the_documented_example_reads_whole() {
        let (rows, errors) = parse(include_str!("../../../../docs/examples/furnish.csv")).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].input.days_past_due, 31);
        assert_eq!(rows[1].input.past_due, 4_500);
    }

    #[test]
    fn amounts_are_cents() {
        assert_eq!(cents("0"), Ok(0));
        assert_eq!(cents("12.3"), Ok(1_230));
        assert_eq!(cents("12.34"), Ok(1_234));
        for bad in [
            "",
            "-1",
            "1.234",
            "1,000",
            "1e3",
            ".5",
            "99999999999999999999",
        ] {
            assert!(cents(bad).is_err(), "{bad}");
        }
    }
}

/// Part of a furnishing file, sent on its own: its CSV text (the header,
/// then its rows) and, for each of its rows, the row's line in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub csv: String,
    pub lines: Vec<u64>,
}

impl Part {
    /// A line of this part's text (the header is 1) as the file's line.
    pub fn file_line(&self, line: u64) -> u64 {
        match line.checked_sub(2) {
            Some(i) => self.lines.get(i as usize).copied().unwrap_or(line),
            None => 1,
        }
    }
}

/// `rows` of the file `text` in parts of at most `size` rows, in the order
/// of their update dates, so that an account's earlier updates are sent
/// before its later ones (each part is final before the next is sent).
pub fn parts(text: &str, rows: &[FurnishRow], size: usize) -> Result<Vec<Part>, RowError> {
    let bad = |line: u64, why: String| RowError {
        line,
        column: "(row)".into(),
        why,
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header = r.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let records: Vec<Option<csv::StringRecord>> = r.records().map(|x| x.ok()).collect();
    let mut order: Vec<&FurnishRow> = rows.iter().collect();
    order.sort_by(|a, b| {
        (&a.input.date_of_account_information, a.line)
            .cmp(&(&b.input.date_of_account_information, b.line))
    });
    let mut out = Vec::new();
    for chunk in order.chunks(size.max(1)) {
        let mut w = csv::Writer::from_writer(Vec::new());
        let write = |e: csv::Error| bad(1, e.to_string());
        w.write_record(&header).map_err(write)?;
        let mut lines = Vec::with_capacity(chunk.len());
        for row in chunk {
            let rec = records
                .get((row.line - 2) as usize)
                .and_then(|r| r.as_ref())
                .ok_or_else(|| bad(row.line, "the row is not in the file".into()))?;
            w.write_record(rec).map_err(write)?;
            lines.push(row.line);
        }
        let bytes = w.into_inner().map_err(|e| bad(1, e.to_string()))?;
        out.push(Part {
            csv: String::from_utf8(bytes).map_err(|e| bad(1, e.to_string()))?,
            lines,
        });
    }
    Ok(out)
}
