//! How billing documents are stored, the same on both backends: money as decimal text
//! (exact; never a float column), and a document's lines as a JSON array, written once
//! with the document and never updated.

use nexus_domain::billing::{InvoiceLine, LineKind};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Serialize, Deserialize)]
struct StoredLine {
    kind: LineKind,
    description: String,
    quantity: String,
    unit_price: String,
    amount: String,
}

/// Decimal text.
pub fn money_text(d: Decimal) -> String {
    d.to_string()
}

/// Parses decimal text written by [`money_text`].
pub fn money_from(text: &str) -> Result<Decimal, String> {
    Decimal::from_str(text).map_err(|e| format!("bad amount {text:?}: {e}"))
}

/// The stored form of `lines`.
pub fn lines_json(lines: &[InvoiceLine]) -> String {
    let stored: Vec<StoredLine> = lines
        .iter()
        .map(|l| StoredLine {
            kind: l.kind,
            description: l.description.clone(),
            quantity: money_text(l.quantity),
            unit_price: money_text(l.unit_price),
            amount: money_text(l.amount),
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_owned())
}

/// Parses the stored form.
pub fn lines_from(json: &str) -> Result<Vec<InvoiceLine>, String> {
    let stored: Vec<StoredLine> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    stored
        .into_iter()
        .map(|l| {
            Ok(InvoiceLine {
                kind: l.kind,
                description: l.description,
                quantity: money_from(&l.quantity)?,
                unit_price: money_from(&l.unit_price)?,
                amount: money_from(&l.amount)?,
            })
        })
        .collect()
}
