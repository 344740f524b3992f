// Generated from crates/ledger/src/predicate.rs by src-tauri/src/dto/typescript.rs.
// Do not edit: CREDENCE_WRITE_GENERATED=1 cargo test --workspace generated_typescript

export type PredicateKind = "score-at-least" | "score-in-range" | "balance-at-most" | "total-debt-below" | "debt-to-income-below" | "no-serious-delinquency" | "utilisation-below";

export type Unit = "score" | "cents" | "percent";

export interface PredicateParam { name: string; label: string; unit: Unit; min: number; max: number; default: string }

export interface PredicateKindInfo { kind: PredicateKind; label: string; params: PredicateParam[]; target: boolean; syntax: string; reads: string }

/** A question as the officer's form sends it: its parameters in `params` order (amounts in cents). */
export interface PredicateDto { kind: PredicateKind; params: number[] }

export const PREDICATE_KINDS: PredicateKindInfo[] = [
  { kind: "score-at-least", label: "Score at least", params: [{ name: "min", label: "Minimum score (300–850)", unit: "score", min: 300, max: 850, default: "650" }], target: false, syntax: "score >= {min}", reads: "score ≥ {min}" },
  { kind: "score-in-range", label: "Score within an interval", params: [{ name: "min", label: "From score", unit: "score", min: 300, max: 850, default: "600" }, { name: "max", label: "To score", unit: "score", min: 300, max: 850, default: "750" }], target: false, syntax: "score in {min}..{max}", reads: "score between {min} and {max}" },
  { kind: "balance-at-most", label: "Balance of one account at most", params: [{ name: "max", label: "Maximum balance", unit: "cents", min: 0, max: 4294967295, default: "5,000.00" }], target: true, syntax: "balance <= {max}", reads: "balance ≤ {max}" },
  { kind: "total-debt-below", label: "Total debt across all lenders below", params: [{ name: "limit", label: "Total debt limit", unit: "cents", min: 1, max: 4294967295, default: "40,000.00" }], target: false, syntax: "total_debt < {limit}", reads: "total debt < {limit}" },
  { kind: "debt-to-income-below", label: "Debt-to-income below (%)", params: [{ name: "percent", label: "Maximum debt-to-income (%)", unit: "percent", min: 1, max: 100, default: "43" }], target: false, syntax: "dti < {percent}", reads: "debt-to-income < {percent} %" },
  { kind: "no-serious-delinquency", label: "No serious delinquency (90+ days, 24 months)", params: [], target: false, syntax: "no_serious_delinquency", reads: "no serious delinquency" },
  { kind: "utilisation-below", label: "Credit utilisation below (%)", params: [{ name: "percent", label: "Maximum credit utilisation (%)", unit: "percent", min: 1, max: 100, default: "30" }], target: false, syntax: "utilisation < {percent}", reads: "credit utilisation < {percent} %" },
];
