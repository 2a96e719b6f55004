//! The portfolio simulator's records: what the stores keep about portfolios, orders,
//! fills, the ledger, performance history, competitions and imported market data.
//!
//! The trading rules themselves (order validation, the fill engine, the books, the
//! analytics) live in the pure `nexus-trading` crate and the price model in
//! `nexus-market`; these types are the persisted form the app reads and writes around
//! them. Money is `Decimal` throughout, never a float. Educational only: virtual money.

mod competition;
mod records;

pub use competition::{Competition, CompetitionDraft, Metric};
pub use records::{
    ClientOrderId, FillRecord, ImportedBar, LedgerRecord, OrderRecord, PortfolioRecord,
    PositionRecord, SimEvent, SimSettings, Symbol,
};

crate::define_id!(
    /// Identifies a portfolio (one learner's paper-trading account).
    PortfolioId
);
crate::define_id!(
    /// Identifies an order.
    OrderId
);
crate::define_id!(
    /// Identifies one execution of an order.
    FillId
);
crate::define_id!(
    /// Identifies a class competition.
    CompetitionId
);
crate::define_id!(
    /// Identifies one balanced set of ledger postings (a funding or a fill).
    LedgerTxnId
);

/// Shown with every simulator response and page; the same text ends "explain my
/// portfolio".
pub const DISCLAIMER: &str = nexus_trading::explain::DISCLAIMER;
