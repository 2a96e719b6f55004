//! Simulated markets for the portfolio simulator: a deterministic, seeded price model.
//!
//! Pure: no I/O, no wall clock, no global state. The same seed gives the same prices on
//! every machine, which is why the transcendental functions come from `libm` (a pure
//! Rust implementation) rather than the platform's maths library, whose last bits may
//! differ between systems, and why the random numbers come from our own generator.
//!
//! - [`rng`]: the seeded generator and standard normal draws.
//! - [`model`]: geometric Brownian motion with a sector factor, jumps and volatility
//!   regimes, producing daily bars.
//!
//! Work in progress for issue 5: instruments, spreads, the trading calendar, scenario
//! presets and intraday bars come next.

pub mod model;
pub mod rng;

pub use model::{Bar, Params, Sector, daily_bars};
pub use rng::Rng;
