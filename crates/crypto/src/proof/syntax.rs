//! The text of a predicate: `Display`, a lenient parser for what people
//! type, and the one canonical form that proof bundles carry.
use super::*;

pub(super) const PREDICATE_FORMS: &str = "`score >= N`, `score in A..B` (inclusive), `balance <= N`, `total_debt < N`, `dti < P` (percent), `no_serious_delinquency`, `utilisation < P` (percent)";

impl std::fmt::Display for Predicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Predicate::ScoreAtLeast { min } => write!(f, "score >= {min}"),
            Predicate::ScoreInRange { min, max } => write!(f, "score in {min}..{max}"),
            Predicate::BalanceAtMost { max } => write!(f, "balance <= {max}"),
            Predicate::TotalDebtBelow { limit } => write!(f, "total_debt < {limit}"),
            Predicate::DebtToIncomeBelow { percent } => write!(f, "dti < {percent}"),
            Predicate::NoSeriousDelinquency => f.write_str("no_serious_delinquency"),
            Predicate::UtilisationBelow { percent } => write!(f, "utilisation < {percent}"),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Number(u64),
    Op(&'static str),
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while let Some(ch) = rest.chars().next() {
        if ch.is_ascii_alphabetic() || ch == '_' {
            // Keywords hold no digits, so `in600` reads as `in 600`.
            let end = rest
                .find(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
                .unwrap_or(rest.len());
            out.push(Token::Word(rest[..end].to_ascii_lowercase()));
            rest = &rest[end..];
        } else if ch.is_ascii_digit() {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let n = rest[..end]
                .parse()
                .map_err(|_| format!("number {} does not fit in 64 bits", &rest[..end]))?;
            out.push(Token::Number(n));
            rest = &rest[end..];
        } else if let Some(op) = [">=", "<=", "..", "<"]
            .into_iter()
            .find(|op| rest.starts_with(op))
        {
            out.push(Token::Op(op));
            rest = &rest[op.len()..];
        } else {
            return Err(format!("unexpected character {ch:?}"));
        }
        rest = rest.trim_start();
    }
    Ok(out)
}

impl std::str::FromStr for Predicate {
    type Err = CryptoError;

    /// Parse the canonical form printed by `Display` (case-insensitive keywords,
    /// optional spaces); the result is validated.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = |why: String| CryptoError::Malformed {
            what: "predicate",
            why: format!("{why} in {s:?}; accepted forms: {PREDICATE_FORMS}"),
        };
        let tokens = tokenize(s).map_err(malformed)?;
        use Token::{Number as N, Op, Word as W};
        let pred = match tokens.as_slice() {
            [W(w), Op(">="), N(n)] if w == "score" => Predicate::ScoreAtLeast { min: *n },
            [W(w), W(i), N(a), Op(".."), N(b)] if w == "score" && i == "in" => {
                Predicate::ScoreInRange { min: *a, max: *b }
            }
            [W(w), Op("<="), N(n)] if w == "balance" => Predicate::BalanceAtMost { max: *n },
            [W(w), Op("<"), N(n)] if w == "total_debt" => Predicate::TotalDebtBelow { limit: *n },
            [W(w), Op("<"), N(n)] if w == "dti" => Predicate::DebtToIncomeBelow { percent: *n },
            [W(w)] if w == "no_serious_delinquency" => Predicate::NoSeriousDelinquency,
            [W(w), Op("<"), N(n)] if w == "utilisation" => {
                Predicate::UtilisationBelow { percent: *n }
            }
            [] => return Err(malformed("empty predicate".into())),
            _ => return Err(malformed("unrecognised predicate".into())),
        };
        pred.validate()?;
        Ok(pred)
    }
}

impl Predicate {
    /// Parse the one canonical text of a predicate: exactly what `Display`
    /// prints (lowercase keywords, single spaces around operators, decimal
    /// numbers without sign or leading zeros), validated. Proof bundles carry
    /// only this form, so the text a verifier shows is the predicate that was
    /// proven, byte for byte; `FromStr` stays lenient for what people type.
    pub fn parse_canonical(s: &str) -> Result<Predicate, CryptoError> {
        let pred: Predicate = s.parse()?;
        let canonical = pred.to_string();
        if canonical != s {
            return Err(CryptoError::Malformed {
                what: "predicate",
                why: format!("{s:?} is not in canonical form (it would be {canonical:?})"),
            });
        }
        Ok(pred)
    }
}
