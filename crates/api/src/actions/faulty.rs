//! A faulty furnisher, for the tests that show every reader copes.
use super::*;

/// How a faulty furnisher spoils what it seals while committing and proving
/// the right values: no other member can see inside a sealed payload, so
/// every member accepts such a record. Test mode (a faulty member), for the
/// tests that show every reader copes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealFault {
    /// The tradeline's amounts are left out of the payload.
    MissingAmounts,
    /// Each sealed amount is one more than the committed one.
    OtherValues,
    /// The sealed bytes are no payload at all.
    Garbage,
}

/// A tradeline furnished by a faulty member: commitments and validity proof
/// of `input`'s values, sealed content spoiled by `fault`.
pub fn faulty_tradeline(
    view: &Ledger,
    furnisher: &Identity,
    subject: &PartyId,
    input: &TradelineInput,
    fault: SealFault,
    now: u64,
) -> Result<(Id, SignedEntry)> {
    input.validate()?;
    let recipients = record_recipients(view, furnisher, subject, now)?;
    build_record_sealing(
        &recipients,
        furnisher,
        subject,
        RecordKind::Tradeline,
        &input.values(),
        |mut amounts| {
            match fault {
                SealFault::Garbage => return b"not a payload".to_vec(),
                SealFault::MissingAmounts => amounts.clear(),
                SealFault::OtherValues => amounts.iter_mut().for_each(|a| a.value += 1),
            }
            tradeline_payload(input, amounts).encode()
        },
        None,
    )
}
