//! The Statlog (German Credit Data) set as consortium data: one row, one
//! borrower; numeric facts become committed tradeline and income fields,
//! categorical text goes only into sealed payloads.
//!
//! Hofmann, H. (1994). Statlog (German Credit Data). UCI Machine Learning
//! Repository, CC BY 4.0. https://doi.org/10.24432/C5NC77
use crate::actions::TradelineInput;
use crate::error::{ApiError, Result};
use std::io::Read;

/// The bundled copy (assets/germancredit.csv), so a fresh checkout runs the demo.
pub const BUNDLED_CSV: &str = include_str!("../../../assets/germancredit.csv");

const COLUMNS: [&str; 21] = [
    "status_of_existing_checking_account",
    "duration_in_month",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings_account_and_bonds",
    "present_employment_since",
    "installment_rate_in_percentage_of_disposable_income",
    "personal_status_and_sex",
    "other_debtors_or_guarantors",
    "present_residence_since",
    "property",
    "age_in_years",
    "other_installment_plans",
    "housing",
    "number_of_existing_credits_at_this_bank",
    "job",
    "number_of_people_being_liable_to_provide_maintenance_for",
    "telephone",
    "foreign_worker",
    "creditability",
];

/// One applicant, as in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Borrower {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub duration_months: u64,
    pub credit_history: String,
    pub credit_amount: u64,
    pub installment_rate: u64,
    pub age: u64,
    pub existing_credits: u64,
    pub good: bool,
    /// Every categorical column, name and value: sealed, never in clear.
    pub attributes: Vec<(String, String)>,
}

impl Borrower {
    pub fn derogatory(&self) -> bool {
        self.credit_history == "delay in paying off in the past"
            || self.credit_history.starts_with("critical account")
    }
}

fn field_error(line: u64, col: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("line {line}: column {col}: {why}"))
}

/// Parse the German credit CSV. Errors name the line and column.
pub fn parse(reader: impl Read) -> Result<Vec<Borrower>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| ApiError::invalid(format!("line 1: cannot read the header: {e}")))?
        .clone();
    let mut idx = [0usize; 21];
    for (i, c) in COLUMNS.iter().enumerate() {
        idx[i] = headers
            .iter()
            .position(|h| h.trim() == *c)
            .ok_or_else(|| ApiError::invalid(format!("line 1: the header has no column {c}")))?;
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| match e.kind() {
            csv::ErrorKind::UnequalLengths { pos, expected_len, len } => ApiError::invalid(format!(
                "line {}: expected {expected_len} fields, found {len} (a truncated or malformed row)",
                pos.as_ref().map(|p| p.line()).unwrap_or(0)
            )),
            _ => ApiError::invalid(format!(
                "line {}: {e}",
                e.position().map(|p| p.line()).unwrap_or(0)
            )),
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |i: usize| rec.get(idx[i]).unwrap_or("").trim();
        let num = |i: usize, lo: u64, hi: u64| -> Result<u64> {
            let v: u64 = get(i).parse().map_err(|_| {
                field_error(
                    line,
                    COLUMNS[i],
                    format!("\"{}\" is not a whole number", get(i)),
                )
            })?;
            if !(lo..=hi).contains(&v) {
                return Err(field_error(
                    line,
                    COLUMNS[i],
                    format!("{v} is outside {lo}..={hi}"),
                ));
            }
            Ok(v)
        };
        let good = match get(20) {
            "good" => true,
            "bad" => false,
            other => {
                return Err(field_error(
                    line,
                    COLUMNS[20],
                    format!("\"{other}\" is neither good nor bad"),
                ))
            }
        };
        let mut attributes = Vec::new();
        for i in [0usize, 3, 5, 6, 8, 9, 11, 13, 14, 16, 18, 19] {
            if get(i).is_empty() {
                return Err(field_error(line, COLUMNS[i], "is empty"));
            }
            attributes.push((COLUMNS[i].to_string(), get(i).to_string()));
        }
        attributes.push((COLUMNS[10].into(), num(10, 0, 100)?.to_string()));
        attributes.push((COLUMNS[17].into(), num(17, 0, 100)?.to_string()));
        out.push(Borrower {
            line,
            duration_months: num(1, 1, 600)?,
            credit_history: get(2).to_string(),
            credit_amount: num(4, 1, 10_000_000)?,
            installment_rate: num(7, 1, 4)?,
            age: num(12, 16, 130)?,
            existing_credits: num(15, 0, 50)?,
            good,
            attributes,
        });
    }
    if out.is_empty() {
        return Err(ApiError::invalid("the file has a header but no rows"));
    }
    Ok(out)
}

/// Share of disposable income the instalment takes, by the dataset's rate
/// code 1–4 (an assumption of this mapping: 15, 22, 30, 40 %).
fn rate_percent(code: u64) -> u64 {
    [15, 22, 30, 40][(code.clamp(1, 4) - 1) as usize]
}

/// What a borrower becomes on the ledger.
pub struct Mapped {
    /// The loan at the borrower's home lender.
    pub home: TradelineInput,
    /// A revolving line at the other lender, for borrowers with more than one credit.
    pub other: Option<TradelineInput>,
    /// Monthly income in cents, derived from instalment and rate.
    pub monthly_income: u64,
}

/// Map a borrower to tradelines (amounts in cents; the dataset's DM taken as
/// currency units). `seed` varies loan age deterministically per row.
pub fn map(b: &Borrower, seed: u64, today: &str) -> Mapped {
    let amount = b.credit_amount * 100;
    let instalment = amount.div_ceil(b.duration_months);
    let elapsed = (seed.wrapping_mul(7) + b.line) % b.duration_months;
    let balance = amount - instalment.saturating_mul(elapsed).min(amount);
    let (status, dpd, past_due, serious, history) =
        if b.credit_history.starts_with("critical account") {
            (
                "80",
                90,
                instalment * 3,
                true,
                format!("321{}", "0".repeat(21)),
            )
        } else if b.credit_history == "delay in paying off in the past" {
            (
                "71",
                30,
                instalment,
                false,
                format!("1{}1{}", "0".repeat(5), "0".repeat(17)),
            )
        } else {
            ("11", 0, 0, false, "0".repeat(24))
        };
    let year: u64 = today[..4].parse().unwrap_or(2026);
    let month: u64 = today[5..7].parse().unwrap_or(1);
    let months_back = elapsed + 1;
    let (oy, om) = {
        let total = year * 12 + (month - 1) - months_back;
        (total / 12, total % 12 + 1)
    };
    let opened = format!("{oy:04}-{om:02}-01");
    let home = TradelineInput {
        account_type: "instalment".into(),
        account_status: status.into(),
        date_opened: opened.clone(),
        date_of_account_information: today.to_string(),
        date_of_first_delinquency: (dpd > 0).then(|| today.to_string()),
        payment_history: history,
        attributes: b.attributes.clone(),
        balance,
        credit_limit: amount,
        past_due,
        scheduled_payment: instalment,
        days_past_due: dpd,
        serious_delinquency: serious,
    };
    let other = (b.existing_credits > 1).then(|| {
        let limit = (amount / 2).max(50_000);
        let used = limit * ((seed.wrapping_mul(13) + b.line) % 100) / 100;
        TradelineInput {
            account_type: "revolving".into(),
            account_status: "11".into(),
            date_opened: opened,
            date_of_account_information: today.to_string(),
            date_of_first_delinquency: None,
            payment_history: "0".repeat(24),
            attributes: vec![("purpose".into(), "revolving credit line".into())],
            balance: used,
            credit_limit: limit,
            past_due: 0,
            scheduled_payment: used / 20,
            days_past_due: 0,
            serious_delinquency: false,
        }
    });
    Mapped {
        home,
        other,
        monthly_income: instalment * 100 / rate_percent(b.installment_rate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_file_parses_to_1000_borrowers() {
        let v = parse(BUNDLED_CSV.as_bytes()).unwrap();
        assert_eq!(v.len(), 1000);
        assert!(v.iter().any(|b| b.derogatory()));
        let m = map(&v[0], 1, "2026-11-21");
        m.home.validate().unwrap();
        assert!(m.monthly_income > 0);
    }

    #[test]
    fn truncated_row_names_its_line() {
        let mut lines: Vec<&str> = BUNDLED_CSV.lines().take(4).collect();
        let cut = &lines[3][..lines[3].len() / 2];
        lines[3] = cut;
        let e = parse(lines.join("\n").as_bytes()).unwrap_err();
        assert!(e.message.contains("line 4"), "{}", e.message);
    }

    #[test]
    fn bad_number_names_line_and_column() {
        let mut lines: Vec<String> = BUNDLED_CSV.lines().take(3).map(String::from).collect();
        let hdr: Vec<&str> = lines[0].split(',').collect();
        let col = hdr.iter().position(|h| *h == "credit_amount").unwrap();
        let mut f: Vec<String> = lines[2].split(',').map(String::from).collect();
        f[col] = "12x".into();
        lines[2] = f.join(",");
        let e = parse(lines.join("\n").as_bytes()).unwrap_err();
        assert!(
            e.message.contains("line 3") && e.message.contains("credit_amount"),
            "{}",
            e.message
        );
    }

    #[test]
    fn missing_column_and_empty_file() {
        assert!(parse("a,b\n1,2\n".as_bytes())
            .unwrap_err()
            .message
            .contains("no column"));
        let header = BUNDLED_CSV.lines().next().unwrap();
        assert!(parse(header.as_bytes())
            .unwrap_err()
            .message
            .contains("no rows"));
    }
}
