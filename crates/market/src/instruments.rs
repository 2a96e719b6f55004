//! The catalogue of simulated instruments.
//!
//! Every instrument is FICTIONAL ([`SIMULATED`]): made-up companies and funds with
//! made-up symbols chosen not to be well-known real tickers, for education only.
//!
//! Invariants:
//! - An instrument's id is its position in [`Catalogue::standard`] and selects its
//!   random streams, so the list is append-only: reordering or removing an entry would
//!   change every later instrument's prices.
//! - Symbols are unique, uppercase ASCII, and looked up case-sensitively.
//! - The total-market ETF ([`Catalogue::index_symbol`]) is the simulated index that
//!   betas are measured against; its sector factor *is* the market factor.

use crate::model::{DayClock, Params, Sector};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;

/// Shown wherever instruments are listed.
pub const SIMULATED: &str = "Simulated instrument: a fictional company or fund in a \
    simulated market, for education only. Not a real security, not investment advice.";

/// The symbol of the standard catalogue's total-market ETF.
const INDEX_SYMBOL: &str = "NXTM";

/// What kind of instrument it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssetClass {
    /// A company's shares.
    Stock,
    /// An exchange-traded fund.
    Etf,
    /// A bond fund.
    BondFund,
    /// A money-market fund.
    MoneyMarket,
    /// A crypto-like asset, trading around the clock.
    Crypto,
}

impl AssetClass {
    /// Every class, in storage order.
    pub const ALL: [Self; 5] = [
        Self::Stock,
        Self::Etf,
        Self::BondFund,
        Self::MoneyMarket,
        Self::Crypto,
    ];

    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stock => "stock",
            Self::Etf => "etf",
            Self::BondFund => "bond_fund",
            Self::MoneyMarket => "money_market",
            Self::Crypto => "crypto",
        }
    }

    /// The class with storage name `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether it trades 24/7 rather than in exchange sessions.
    pub fn around_the_clock(self) -> bool {
        self == Self::Crypto
    }

    /// Decimal places of its prices: cents, except money-market funds, whose price
    /// stays near 1.00 and moves by fractions of a cent (as real floating-NAV funds
    /// quote four places). Crypto keeps cents: both simulated coins are priced in the
    /// tens or thousands, where a cent is a fine tick.
    pub fn price_dp(self) -> u32 {
        if self == Self::MoneyMarket { 4 } else { 2 }
    }

    /// How its days are cut into sub-steps.
    pub fn clock(self) -> DayClock {
        if self.around_the_clock() {
            DayClock::AROUND_THE_CLOCK
        } else {
            DayClock::EXCHANGE
        }
    }
}

/// The sector an instrument belongs to, which fixes its common factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Industry {
    Technology,
    Financials,
    Energy,
    Healthcare,
    Consumer,
    Industrials,
    Utilities,
    /// The whole (simulated) market.
    Broad,
    /// Markets abroad.
    International,
    Bonds,
    Cash,
    Crypto,
}

impl Industry {
    /// Every industry, in storage order.
    pub const ALL: [Self; 12] = [
        Self::Technology,
        Self::Financials,
        Self::Energy,
        Self::Healthcare,
        Self::Consumer,
        Self::Industrials,
        Self::Utilities,
        Self::Broad,
        Self::International,
        Self::Bonds,
        Self::Cash,
        Self::Crypto,
    ];

    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Technology => "technology",
            Self::Financials => "financials",
            Self::Energy => "energy",
            Self::Healthcare => "healthcare",
            Self::Consumer => "consumer",
            Self::Industrials => "industrials",
            Self::Utilities => "utilities",
            Self::Broad => "broad",
            Self::International => "international",
            Self::Bonds => "bonds",
            Self::Cash => "cash",
            Self::Crypto => "crypto",
        }
    }

    /// The industry with storage name `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Its factor. Ids are stable (they select random streams); the market loadings
    /// make every equity sector move with the broad index, bonds barely, and crypto on
    /// its own (it also steps on a different clock, so it could not share shocks).
    pub fn sector(self) -> Sector {
        let (id, sigma, regime_switch, turbulence, market) = match self {
            Self::Technology => (1, 0.25, 0.02, 2.0, 0.6),
            Self::Financials => (2, 0.22, 0.015, 2.2, 0.7),
            Self::Energy => (3, 0.28, 0.02, 1.8, 0.45),
            Self::Healthcare => (4, 0.18, 0.01, 1.6, 0.5),
            Self::Consumer => (5, 0.17, 0.01, 1.7, 0.65),
            Self::Industrials => (6, 0.20, 0.015, 1.8, 0.7),
            Self::Utilities => (7, 0.13, 0.01, 1.5, 0.4),
            Self::Broad => (8, 0.16, 0.015, 2.0, 1.0),
            Self::International => (9, 0.18, 0.015, 1.8, 0.6),
            Self::Bonds => (10, 0.05, 0.01, 1.5, 0.1),
            Self::Cash => (11, 0.001, 0.0, 1.0, 0.0),
            Self::Crypto => (12, 0.70, 0.03, 1.8, 0.0),
        };
        Sector {
            id,
            sigma,
            regime_switch,
            turbulence,
            market,
        }
    }
}

/// How easily an instrument trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liquidity {
    /// Average daily volume, in units.
    pub adv: u64,
    /// Half the bid/ask spread in calm markets, in basis points of the price; thinner
    /// instruments (lower ADV) have wider spreads.
    pub half_spread_bps: Decimal,
}

/// One simulated instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    /// Stable id: its position in the catalogue, and its random stream.
    pub id: u32,
    /// Ticker-like symbol (uppercase, fictional).
    pub symbol: String,
    /// Display name (fictional).
    pub name: String,
    pub class: AssetClass,
    pub industry: Industry,
    /// Model parameters (annualised).
    pub params: Params,
    /// Price on day 0.
    pub start_price: Decimal,
    pub liquidity: Liquidity,
}

impl Instrument {
    /// The start price as the simulation's float.
    pub fn start(&self) -> f64 {
        self.start_price.to_f64().unwrap_or(1.0)
    }

    /// ADV as the simulation's float.
    pub fn adv(&self) -> f64 {
        // ADVs are far below 2^53.
        #[allow(clippy::cast_precision_loss)]
        let adv = self.liquidity.adv as f64;
        adv
    }
}

/// Why a catalogue was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueError {
    /// Two instruments share a symbol.
    DuplicateSymbol(String),
    /// An id is not the instrument's position.
    IdMismatch(String),
    /// A symbol is empty or not uppercase ASCII letters/digits.
    BadSymbol(String),
    /// The index symbol is missing.
    NoIndex(String),
}

/// The instruments of a market.
#[derive(Debug, Clone)]
pub struct Catalogue {
    instruments: Vec<Instrument>,
    by_symbol: HashMap<String, usize>,
    index: usize,
}

#[allow(clippy::too_many_arguments)] // one row of the catalogue table
fn row(
    id: u32,
    symbol: &str,
    name: &str,
    class: AssetClass,
    industry: Industry,
    (mu, sigma, beta): (f64, f64, f64),
    (jumps_per_year, jump_mean, jump_sd): (f64, f64, f64),
    start_cents: i64,
    adv: u64,
    half_spread_tenth_bps: i64,
) -> Instrument {
    Instrument {
        id,
        symbol: symbol.to_owned(),
        name: name.to_owned(),
        class,
        industry,
        params: Params {
            mu,
            sigma,
            beta,
            jumps_per_year,
            jump_mean,
            jump_sd,
        },
        start_price: Decimal::new(start_cents, 2),
        liquidity: Liquidity {
            adv,
            half_spread_bps: Decimal::new(half_spread_tenth_bps, 1),
        },
    }
}

impl Catalogue {
    /// A catalogue from `instruments` (ids must be positions, symbols unique and
    /// uppercase), with `index_symbol` as its index.
    pub fn new(instruments: Vec<Instrument>, index_symbol: &str) -> Result<Self, CatalogueError> {
        let mut by_symbol = HashMap::with_capacity(instruments.len());
        for (i, inst) in instruments.iter().enumerate() {
            let s = &inst.symbol;
            if s.is_empty()
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                return Err(CatalogueError::BadSymbol(s.clone()));
            }
            if usize::try_from(inst.id).ok() != Some(i) {
                return Err(CatalogueError::IdMismatch(s.clone()));
            }
            if by_symbol.insert(s.clone(), i).is_some() {
                return Err(CatalogueError::DuplicateSymbol(s.clone()));
            }
        }
        let index = *by_symbol
            .get(index_symbol)
            .ok_or_else(|| CatalogueError::NoIndex(index_symbol.to_owned()))?;
        Ok(Self {
            instruments,
            by_symbol,
            index,
        })
    }

    /// The standard catalogue of 30 fictional instruments (see `docs/MARKET_MODEL.md`).
    pub fn standard() -> Self {
        use AssetClass::{BondFund, Crypto, Etf, MoneyMarket, Stock};
        use Industry as I;
        // Append only: positions are ids and random streams.
        #[rustfmt::skip]
        let rows = vec![
            row(0, "NXTM", "Nexus Total Market Index ETF", Etf, I::Broad, (0.07, 0.16, 0.97), (1.0, -0.04, 0.03), 10_000, 40_000_000, 5),
            row(1, "QBYT", "Qubitron Systems", Stock, I::Technology, (0.11, 0.34, 0.75), (3.0, -0.03, 0.08), 18_250, 12_000_000, 46),
            row(2, "NMBS", "Nimbusoft", Stock, I::Technology, (0.10, 0.30, 0.8), (2.0, -0.02, 0.06), 31_040, 9_000_000, 53),
            row(3, "HLXD", "Helixdata Networks", Stock, I::Technology, (0.09, 0.38, 0.7), (3.0, -0.03, 0.09), 4_620, 3_500_000, 85),
            row(4, "ZPRC", "Zephyr Circuits", Stock, I::Technology, (0.12, 0.45, 0.65), (4.0, -0.04, 0.10), 2_375, 1_200_000, 144),
            row(5, "LKSP", "Larkspur Bancorp", Stock, I::Financials, (0.07, 0.24, 0.8), (1.5, -0.05, 0.06), 5_410, 6_000_000, 65),
            row(6, "ARDG", "Ardent Assurance Group", Stock, I::Financials, (0.06, 0.20, 0.75), (1.0, -0.04, 0.05), 12_780, 2_500_000, 100),
            row(7, "CBLD", "Cobalt Ledger Payments", Stock, I::Financials, (0.09, 0.28, 0.7), (2.0, -0.03, 0.07), 20_990, 4_000_000, 79),
            row(8, "BRWS", "Brightwell Solar", Stock, I::Energy, (0.08, 0.42, 0.6), (3.0, -0.03, 0.10), 3_180, 2_000_000, 112),
            row(9, "TDRP", "Tundra Petroleum", Stock, I::Energy, (0.06, 0.28, 0.85), (2.0, -0.04, 0.07), 7_650, 8_000_000, 56),
            row(10, "GDMR", "Gridmoor Power", Stock, I::Energy, (0.06, 0.25, 0.8), (1.5, -0.03, 0.06), 4_490, 3_000_000, 91),
            row(11, "MDLK", "Medlark Biosciences", Stock, I::Healthcare, (0.09, 0.48, 0.45), (4.0, -0.06, 0.15), 2_860, 1_500_000, 129),
            row(12, "CRWH", "Carewell Health", Stock, I::Healthcare, (0.07, 0.19, 0.8), (1.0, -0.04, 0.05), 16_420, 5_000_000, 71),
            row(13, "OSPD", "Osprey Diagnostics", Stock, I::Healthcare, (0.08, 0.27, 0.7), (2.0, -0.03, 0.07), 8_830, 1_800_000, 118),
            row(14, "PTLN", "Pantry Lane Grocers", Stock, I::Consumer, (0.05, 0.17, 0.8), (1.0, -0.03, 0.04), 6_120, 7_000_000, 60),
            row(15, "KSTA", "Kestrel Apparel", Stock, I::Consumer, (0.07, 0.29, 0.7), (2.0, -0.04, 0.07), 3_940, 2_200_000, 107),
            row(16, "MNBW", "Moonbrew Coffee Co.", Stock, I::Consumer, (0.08, 0.26, 0.7), (1.5, -0.03, 0.06), 9_710, 3_800_000, 81),
            row(17, "DRWM", "Driftwood Motors", Stock, I::Consumer, (0.09, 0.40, 0.6), (3.0, -0.04, 0.09), 14_300, 10_000_000, 50),
            row(18, "IRVM", "Ironvale Machinery", Stock, I::Industrials, (0.07, 0.23, 0.8), (1.5, -0.03, 0.06), 11_560, 2_600_000, 98),
            row(19, "SKHL", "Skyhaul Logistics", Stock, I::Industrials, (0.07, 0.25, 0.75), (1.5, -0.03, 0.06), 6_840, 3_200_000, 88),
            row(20, "FGWA", "Forgewell Aerospace", Stock, I::Industrials, (0.08, 0.27, 0.75), (2.0, -0.05, 0.08), 19_470, 1_600_000, 125),
            row(21, "CLSW", "Clearspring Water", Stock, I::Utilities, (0.05, 0.15, 0.85), (0.5, -0.03, 0.04), 5_230, 2_400_000, 102),
            row(22, "NLUT", "Northlight Utilities", Stock, I::Utilities, (0.05, 0.16, 0.85), (0.5, -0.03, 0.04), 8_060, 3_000_000, 91),
            row(23, "NXTK", "Nexus Technology Sector ETF", Etf, I::Technology, (0.10, 0.25, 0.97), (1.5, -0.04, 0.04), 15_000, 15_000_000, 15),
            row(24, "NXEN", "Nexus Energy Sector ETF", Etf, I::Energy, (0.06, 0.27, 0.97), (1.5, -0.04, 0.04), 8_000, 6_000_000, 25),
            row(25, "NXIN", "Nexus International Markets ETF", Etf, I::International, (0.06, 0.18, 0.95), (1.0, -0.04, 0.04), 5_000, 8_000_000, 20),
            row(26, "NXBD", "Nexus Aggregate Bond Fund", BondFund, I::Bonds, (0.035, 0.05, 0.9), (0.5, -0.01, 0.01), 2_500, 10_000_000, 10),
            row(27, "NXMM", "Nexus Money Market Fund", MoneyMarket, I::Cash, (0.04, 0.001, 0.0), (0.0, 0.0, 0.0), 100, 50_000_000, 1),
            row(28, "DRFC", "Driftcoin (simulated crypto)", Crypto, I::Crypto, (0.15, 0.80, 0.85), (12.0, -0.06, 0.15), 2_413_500, 400_000, 50),
            row(29, "LMCX", "Lumenchain (simulated crypto)", Crypto, I::Crypto, (0.20, 1.00, 0.7), (15.0, -0.07, 0.20), 8_640, 6_000_000, 100),
        ];
        // The rows above satisfy every rule `new` checks (a test proves it); should
        // one not, an empty catalogue is safer than a panic in a server.
        Self::new(rows, INDEX_SYMBOL).unwrap_or_else(|_| Self {
            instruments: Vec::new(),
            by_symbol: HashMap::new(),
            index: 0,
        })
    }

    /// All instruments, in id order.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// The instrument with `symbol` (case-sensitive).
    pub fn get(&self, symbol: &str) -> Option<&Instrument> {
        self.by_symbol.get(symbol).map(|&i| &self.instruments[i])
    }

    /// The instrument with id `id`.
    pub fn by_id(&self, id: u32) -> Option<&Instrument> {
        self.instruments.get(usize::try_from(id).ok()?)
    }

    /// The position (= id) of `symbol`.
    pub fn position(&self, symbol: &str) -> Option<usize> {
        self.by_symbol.get(symbol).copied()
    }

    /// The symbol of the simulated index (the total-market ETF), for betas.
    pub fn index_symbol(&self) -> &str {
        self.instruments
            .get(self.index)
            .map_or(INDEX_SYMBOL, |i| i.symbol.as_str())
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }
}

#[cfg(test)]
#[path = "instruments_tests.rs"]
mod tests;
