//! The kinds of question a member may ask, defined once: the tag a consent
//! stores, the name forms and the UI use, the label people read, and what a
//! question of the kind is answered over. The rules, the responder, the
//! desks, the DTOs and (through generated TypeScript) the UI all read this.
use crate::types::{income, tradeline, RecordKind};
use credence_crypto::proof::Predicate;
use serde::{Deserialize, Serialize};

/// A question's kind, without its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PredicateKind {
    ScoreAtLeast,
    ScoreInRange,
    BalanceAtMost,
    TotalDebtBelow,
    DebtToIncomeBelow,
    NoSeriousDelinquency,
    UtilisationBelow,
}

/// What a question's parameter measures, for forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    /// A credit score, 300 to 850.
    Score,
    /// An amount in cents.
    Cents,
    /// A whole percentage.
    Percent,
}

/// One parameter of a question, in the order `Predicate`'s fields take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Param {
    pub name: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    /// Bounds a form checks before asking (the prover's own limits are
    /// checked again by `Predicate::validate`).
    pub min: u64,
    pub max: u64,
    /// What a form starts with, as typed.
    pub default: &'static str,
}

impl Param {
    /// `default` as a number in the parameter's unit (cents for amounts).
    pub fn default_value(&self) -> u64 {
        // Defaults are written as a person types them: "5,000.00", "43".
        let digits: String = self.default.chars().filter(char::is_ascii_digit).collect();
        digits.parse().unwrap_or(self.min)
    }
}

/// One committed field of one kind of record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub kind: RecordKind,
    pub index: usize,
}

/// What a question of a kind is answered over, as every member derives it
/// from the state: the order here is the order of the proof's inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inputs {
    /// The responding agency's latest score for the subject (one primary).
    Score,
    /// One named live tradeline of the subject (`QueryAsked::target`): this
    /// field, as the one primary.
    Target { field: usize },
    /// Every live record of the subject: `primary` from each record of its
    /// kind; `secondary` likewise, from the same records when it is the
    /// same kind (one per primary), else from the records of its kind,
    /// listed after them.
    Live {
        primary: Field,
        secondary: Option<Field>,
    },
}

impl PredicateKind {
    /// Every kind, in the order of `Predicate`'s variants.
    pub const ALL: [PredicateKind; 7] = [
        PredicateKind::ScoreAtLeast,
        PredicateKind::ScoreInRange,
        PredicateKind::BalanceAtMost,
        PredicateKind::TotalDebtBelow,
        PredicateKind::DebtToIncomeBelow,
        PredicateKind::NoSeriousDelinquency,
        PredicateKind::UtilisationBelow,
    ];

    pub fn of(p: &Predicate) -> Self {
        match p {
            Predicate::ScoreAtLeast { .. } => PredicateKind::ScoreAtLeast,
            Predicate::ScoreInRange { .. } => PredicateKind::ScoreInRange,
            Predicate::BalanceAtMost { .. } => PredicateKind::BalanceAtMost,
            Predicate::TotalDebtBelow { .. } => PredicateKind::TotalDebtBelow,
            Predicate::DebtToIncomeBelow { .. } => PredicateKind::DebtToIncomeBelow,
            Predicate::NoSeriousDelinquency => PredicateKind::NoSeriousDelinquency,
            Predicate::UtilisationBelow { .. } => PredicateKind::UtilisationBelow,
        }
    }

    /// A predicate of this kind with every parameter 0 (not necessarily
    /// valid): for its tag.
    fn sample(self) -> Predicate {
        self.unchecked(&[0; 2])
    }

    /// The tag a consent stores (`AllowedPredicates::Only`): the first byte
    /// of the predicate's canonical encoding.
    pub fn tag(self) -> u8 {
        self.sample().encode()[0]
    }

    pub fn from_tag(tag: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.tag() == tag)
    }

    /// The kind's name in forms, DTOs and the UI.
    pub fn name(self) -> &'static str {
        match self {
            PredicateKind::ScoreAtLeast => "score-at-least",
            PredicateKind::ScoreInRange => "score-in-range",
            PredicateKind::BalanceAtMost => "balance-at-most",
            PredicateKind::TotalDebtBelow => "total-debt-below",
            PredicateKind::DebtToIncomeBelow => "debt-to-income-below",
            PredicateKind::NoSeriousDelinquency => "no-serious-delinquency",
            PredicateKind::UtilisationBelow => "utilisation-below",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// How people read the kind in a form.
    pub fn label(self) -> &'static str {
        match self {
            PredicateKind::ScoreAtLeast => "Score at least",
            PredicateKind::ScoreInRange => "Score within an interval",
            PredicateKind::BalanceAtMost => "Balance of one account at most",
            PredicateKind::TotalDebtBelow => "Total debt across all lenders below",
            PredicateKind::DebtToIncomeBelow => "Debt-to-income below (%)",
            PredicateKind::NoSeriousDelinquency => "No serious delinquency (90+ days, 24 months)",
            PredicateKind::UtilisationBelow => "Credit utilisation below (%)",
        }
    }

    /// What a question of this kind is answered over.
    pub fn inputs(self) -> Inputs {
        let tradeline = |index| Field {
            kind: RecordKind::Tradeline,
            index,
        };
        match self {
            PredicateKind::ScoreAtLeast | PredicateKind::ScoreInRange => Inputs::Score,
            PredicateKind::BalanceAtMost => Inputs::Target {
                field: tradeline::BALANCE,
            },
            PredicateKind::TotalDebtBelow => Inputs::Live {
                primary: tradeline(tradeline::BALANCE),
                secondary: None,
            },
            PredicateKind::NoSeriousDelinquency => Inputs::Live {
                primary: tradeline(tradeline::SERIOUS_DELINQUENCY),
                secondary: None,
            },
            PredicateKind::DebtToIncomeBelow => Inputs::Live {
                primary: tradeline(tradeline::SCHEDULED_PAYMENT),
                secondary: Some(Field {
                    kind: RecordKind::Income,
                    index: income::MONTHLY_INCOME,
                }),
            },
            PredicateKind::UtilisationBelow => Inputs::Live {
                primary: tradeline(tradeline::BALANCE),
                secondary: Some(tradeline(tradeline::CREDIT_LIMIT)),
            },
        }
    }
}

const fn param(
    name: &'static str,
    label: &'static str,
    unit: Unit,
    default: &'static str,
) -> Param {
    let (min, max) = match unit {
        Unit::Score => (300, 850),
        // Amounts are committed in 32 bits of cents.
        Unit::Cents => (0, (1 << 32) - 1),
        Unit::Percent => (1, 100),
    };
    Param {
        name,
        label,
        unit,
        min,
        max,
        default,
    }
}

impl PredicateKind {
    /// The parameters a question of this kind takes, in order.
    pub fn params(self) -> &'static [Param] {
        const SCORE_MIN: [Param; 1] = [param("min", "Minimum score (300–850)", Unit::Score, "650")];
        const SCORE_RANGE: [Param; 2] = [
            param("min", "From score", Unit::Score, "600"),
            param("max", "To score", Unit::Score, "750"),
        ];
        const BALANCE: [Param; 1] = [param("max", "Maximum balance", Unit::Cents, "5,000.00")];
        const DEBT: [Param; 1] = [Param {
            min: 1,
            ..param("limit", "Total debt limit", Unit::Cents, "40,000.00")
        }];
        const DTI: [Param; 1] = [param(
            "percent",
            "Maximum debt-to-income (%)",
            Unit::Percent,
            "43",
        )];
        const UTILISATION: [Param; 1] = [param(
            "percent",
            "Maximum credit utilisation (%)",
            Unit::Percent,
            "30",
        )];
        match self {
            PredicateKind::ScoreAtLeast => &SCORE_MIN,
            PredicateKind::ScoreInRange => &SCORE_RANGE,
            PredicateKind::BalanceAtMost => &BALANCE,
            PredicateKind::TotalDebtBelow => &DEBT,
            PredicateKind::DebtToIncomeBelow => &DTI,
            PredicateKind::NoSeriousDelinquency => &[],
            PredicateKind::UtilisationBelow => &UTILISATION,
        }
    }

    /// Whether a question of this kind names one record (`QueryAsked::target`).
    pub fn targeted(self) -> bool {
        matches!(self.inputs(), Inputs::Target { .. })
    }

    /// The predicate of this kind with `values` as its parameters (in
    /// `params` order), validated.
    pub fn build(self, values: &[u64]) -> Result<Predicate, String> {
        let want = self.params().len();
        if values.len() != want {
            return Err(format!(
                "a {self} question takes {want} parameter(s), got {}",
                values.len()
            ));
        }
        let p = self.unchecked(values);
        p.validate().map_err(|e| e.to_string())?;
        Ok(p)
    }

    /// The predicate of this kind with `values` (at least as many as it has
    /// parameters) as its parameters, not validated.
    fn unchecked(self, values: &[u64]) -> Predicate {
        let v = |i: usize| values[i];
        match self {
            PredicateKind::ScoreAtLeast => Predicate::ScoreAtLeast { min: v(0) },
            PredicateKind::ScoreInRange => Predicate::ScoreInRange {
                min: v(0),
                max: v(1),
            },
            PredicateKind::BalanceAtMost => Predicate::BalanceAtMost { max: v(0) },
            PredicateKind::TotalDebtBelow => Predicate::TotalDebtBelow { limit: v(0) },
            PredicateKind::DebtToIncomeBelow => Predicate::DebtToIncomeBelow { percent: v(0) },
            PredicateKind::NoSeriousDelinquency => Predicate::NoSeriousDelinquency,
            PredicateKind::UtilisationBelow => Predicate::UtilisationBelow { percent: v(0) },
        }
    }

    /// The question a form of this kind starts with: its parameters'
    /// defaults (the demo's question mix asks these).
    pub fn example(self) -> Predicate {
        let values: Vec<u64> = self.params().iter().map(Param::default_value).collect();
        self.unchecked(&values)
    }

    /// The kind's text syntax, as `Predicate` writes and parses it, with
    /// `{name}` for each parameter. Derived from the text itself, so it
    /// cannot drift: "score in {min}..{max}".
    pub fn syntax(self) -> String {
        // Markers no syntax could contain otherwise, none a prefix of another.
        let markers = [9_000_000_001u64, 9_000_000_002];
        let mut text = self.unchecked(&markers).to_string();
        for (p, m) in self.params().iter().zip(markers) {
            text = text.replace(&m.to_string(), &format!("{{{}}}", p.name));
        }
        text
    }

    /// How people read a question of this kind, with `{name}` for each
    /// parameter (shown in its unit): "score between {min} and {max}".
    pub fn reads(self) -> &'static str {
        match self {
            PredicateKind::ScoreAtLeast => "score ≥ {min}",
            PredicateKind::ScoreInRange => "score between {min} and {max}",
            PredicateKind::BalanceAtMost => "balance ≤ {max}",
            PredicateKind::TotalDebtBelow => "total debt < {limit}",
            PredicateKind::DebtToIncomeBelow => "debt-to-income < {percent} %",
            PredicateKind::NoSeriousDelinquency => "no serious delinquency",
            PredicateKind::UtilisationBelow => "credit utilisation < {percent} %",
        }
    }
}

impl std::fmt::Display for PredicateKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_tag_and_name_and_round_trips() {
        let mut tags: Vec<u8> = PredicateKind::ALL.iter().map(|k| k.tag()).collect();
        assert_eq!(
            tags,
            [1, 2, 3, 4, 5, 6, 7],
            "tags are the canonical encoding's"
        );
        tags.dedup();
        assert_eq!(tags.len(), PredicateKind::ALL.len());
        for k in PredicateKind::ALL {
            assert_eq!(PredicateKind::from_tag(k.tag()), Some(k));
            assert_eq!(PredicateKind::from_name(k.name()), Some(k));
            assert_eq!(PredicateKind::of(&k.sample()), k);
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.name().into())
            );
        }
        assert_eq!(PredicateKind::from_tag(0), None);
        assert_eq!(PredicateKind::from_tag(8), None);
        assert_eq!(PredicateKind::from_name("score"), None);
    }

    #[test]
    fn the_syntax_names_every_parameter_and_reads_back_as_the_predicate() {
        assert_eq!(
            PredicateKind::ScoreInRange.syntax(),
            "score in {min}..{max}"
        );
        assert_eq!(
            PredicateKind::NoSeriousDelinquency.syntax(),
            "no_serious_delinquency"
        );
        for k in PredicateKind::ALL {
            let (syntax, reads) = (k.syntax(), k.reads());
            let mut text = syntax.clone();
            let mut values = vec![];
            for (i, p) in k.params().iter().enumerate() {
                let name = format!("{{{}}}", p.name);
                assert!(syntax.contains(&name), "{k}: {syntax} lacks {name}");
                assert!(reads.contains(&name), "{k}: {reads} lacks {name}");
                let v = p.min.max(1) + i as u64;
                text = text.replace(&name, &v.to_string());
                values.push(v);
            }
            assert!(!text.contains('{'), "{k}: {text}");
            let parsed: Predicate = text.parse().unwrap();
            assert_eq!(parsed, k.unchecked(&values), "{k}");
        }
    }

    #[test]
    fn build_takes_the_params_in_order_and_validates() {
        for k in PredicateKind::ALL {
            let values: Vec<u64> = k.params().iter().map(Param::default_value).collect();
            let p = k.build(&values).unwrap();
            assert_eq!(PredicateKind::of(&p), k);
            assert_eq!(k.example(), p, "the example is the form's defaults, valid");
        }
        assert_eq!(
            PredicateKind::TotalDebtBelow.example(),
            Predicate::TotalDebtBelow { limit: 4_000_000 }
        );
        assert_eq!(
            PredicateKind::UtilisationBelow.build(&[30]).unwrap(),
            Predicate::UtilisationBelow { percent: 30 }
        );
        assert!(PredicateKind::UtilisationBelow.build(&[0]).is_err());
        assert!(PredicateKind::UtilisationBelow.build(&[]).is_err());
        assert!(PredicateKind::ScoreInRange.build(&[700, 600]).is_err());
        assert!(PredicateKind::NoSeriousDelinquency.build(&[1]).is_err());
    }
}
