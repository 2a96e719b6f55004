//! Simulated markets for the portfolio simulator: fictional instruments, a deterministic
//! seeded price model, quotes, a trading calendar, scenario presets and CSV import.
//!
//! EVERYTHING HERE IS SIMULATED, FOR EDUCATION ONLY: the instruments are fictional and
//! the prices come from a random model, not from any real market.
//!
//! Pure: no I/O, no wall clock, no global state; time is always an argument. The same
//! seed gives the same prices on every machine, which is why the transcendental
//! functions come from `libm` (a pure Rust implementation) rather than the platform's
//! maths library, whose last bits may differ between systems, and why the random numbers
//! come from our own generator. Money is `Decimal`; `f64` only inside the simulation.
//!
//! A guided tour (see `docs/MARKET_MODEL.md` for the model and its parameters):
//! - [`rng`]: the seeded generator and standard normal draws.
//! - [`model`]: geometric Brownian motion with market and sector factors, jumps,
//!   volatility regimes and volume, simulated in 5-minute sub-steps.
//! - [`instruments`]: the catalogue of 30 fictional instruments and their liquidity.
//! - [`calendar`]: the trading calendar, with sessions of 09:30–16:00 at a fixed UTC−05:00
//!   (holidays; crypto 24/7) and day numbers since the epoch.
//! - [`series`]: one instrument's series, extended lazily day by day.
//! - [`quote`]: bid/ask spreads from liquidity and market stress.
//! - [`market`]: the facade the app uses: quotes and bars at injected instants.
//! - [`scenario`]: lesson presets (calm bull, 2008-style crash, dot-com, inflation).
//! - [`csv`]: parsing uploaded OHLCV files.

pub mod calendar;
pub mod csv;
pub mod instruments;
pub mod market;
pub mod model;
pub mod quote;
pub mod rng;
pub mod scenario;
pub mod series;

pub use calendar::{Calendar, MARKET_OFFSET};
pub use csv::{CsvError, DatedBar, parse_ohlcv};
pub use instruments::{
    AssetClass, Catalogue, CatalogueError, Industry, Instrument, Liquidity, SIMULATED,
};
pub use market::{Market, TimedBar};
pub use model::{Bar, Params, Sector, daily_bars};
pub use quote::Quote;
pub use rng::Rng;
pub use scenario::{Phase, Scenario};
pub use series::Series;
