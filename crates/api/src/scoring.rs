//! The agency's scorecard: a transparent points model over the records sealed
//! to it. It runs only inside the agency, on decrypted payloads in memory; the
//! result is committed, never published.
use credence_ledger::payload::Payload;
use credence_ledger::types::tradeline;

pub const MODEL: &str = "credence-points-v1";
pub const MIN: u64 = 300;
pub const MAX: u64 = 850;

/// 300–850. Starts at 700; serious delinquency −160, any past due −60,
/// late months in the 24-month history −8 each (max −80), utilisation over
/// 30 % up to −70, debt-to-income over 36 % −40, under 15 % +40, a long
/// clean history +30.
pub fn score(records: &[Payload]) -> u64 {
    let mut s: i64 = 700;
    let (mut bal, mut limit, mut pay, mut income) = (0u128, 0u128, 0u128, 0u128);
    let mut late = 0i64;
    let mut serious = false;
    let mut past_due = false;
    let mut tradelines = 0;
    for r in records {
        match r {
            Payload::Tradeline(t) => {
                tradelines += 1;
                let v = |i: usize| t.amounts.get(i).map(|o| o.value as u128).unwrap_or(0);
                bal += v(tradeline::BALANCE);
                limit += v(tradeline::CREDIT_LIMIT);
                pay += v(tradeline::SCHEDULED_PAYMENT);
                serious |= v(tradeline::SERIOUS_DELINQUENCY) > 0;
                past_due |= v(tradeline::PAST_DUE) > 0;
                late += t
                    .payment_history
                    .chars()
                    .filter(|c| ('1'..='6').contains(c))
                    .count() as i64;
            }
            Payload::Income(i) => income += i.monthly_income.value as u128,
            Payload::Score(_) => {}
        }
    }
    if serious {
        s -= 160;
    }
    if past_due {
        s -= 60;
    }
    s -= (late * 8).min(80);
    if let Some(util) = (bal * 100).checked_div(limit) {
        let util = util as i64;
        if util > 30 {
            s -= (util - 30).min(70);
        }
    }
    if let Some(dti) = (pay * 100).checked_div(income) {
        if dti > 36 {
            s -= 40;
        } else if dti < 15 {
            s += 40;
        }
    }
    if tradelines > 0 && late == 0 && !serious {
        s += 30;
    }
    s.clamp(MIN as i64, MAX as i64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use credence_crypto::proof::Opening;
    use credence_ledger::payload::{IncomePayload, TradelinePayload};

    fn tl(bal: u64, limit: u64, pay: u64, serious: u64, history: &str) -> Payload {
        let o = |v| Opening {
            value: v,
            blinding: [0; 32],
        };
        Payload::Tradeline(TradelinePayload {
            account_type: "instalment".into(),
            portfolio_type: "I".into(),
            account_status: "11".into(),
            date_opened: "2020-01-01".into(),
            date_of_account_information: "2026-11-01".into(),
            date_of_first_delinquency: None,
            payment_history: history.into(),
            attributes: vec![],
            amounts: vec![o(bal), o(limit), o(0), o(pay), o(0), o(serious)],
        })
    }

    #[test]
    fn clean_file_scores_high_and_delinquency_lowers_it() {
        let inc = Payload::Income(IncomePayload {
            source: "t".into(),
            monthly_income: Opening {
                value: 500_000,
                blinding: [0; 32],
            },
        });
        let clean = score(&[tl(10_000, 100_000, 5_000, 0, &"0".repeat(24)), inc.clone()]);
        let bad = score(&[tl(90_000, 100_000, 5_000, 1, &"3".repeat(24)), inc]);
        assert!(clean >= 750, "clean {clean}");
        assert!(bad < 500, "bad {bad}");
        assert!((MIN..=MAX).contains(&score(&[])));
    }
}
