//! Scenario presets for lessons: whole market histories with a known shape, not tied to
//! the live clock.
//!
//! A scenario is a sequence of [`Phase`]s, each lasting a number of trading days and
//! setting the annual drift per group of instruments (equities with per-industry
//! overrides, bonds, cash, crypto), multipliers of volatility and jump intensity, the
//! regime-switching probability and turbulence of every sector, and the annual
//! inflation (for real returns). Within a phase the ordinary model runs, so prices stay
//! random but the shape is the scenario's. Day numbers are trading days: crypto steps
//! on the same days as everything else here.
//!
//! Scenario prices come from their own streams (the seed mixed with the scenario), so
//! a scenario never repeats the live market's path. Days are simulated in
//! [`SCENARIO_CLOCK`]'s 8 sub-steps: only daily bars are needed.

use crate::instruments::{AssetClass, Catalogue, Industry, Instrument};
use crate::model::{Bar, DayClock, Params, PathState, Sector, TRADING_DAYS, simulate_day};
use crate::rng::Rng;

/// Sub-steps per scenario day.
pub const SCENARIO_CLOCK: DayClock = DayClock {
    steps: 8,
    days_per_year: TRADING_DAYS,
};

/// One stretch of a scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phase {
    /// Shown in lessons.
    pub name: &'static str,
    /// Trading days.
    pub days: u32,
    /// Annual drift of stocks and equity ETFs.
    pub equity_drift: f64,
    /// Industries whose equities drift differently: (industry, annual drift, extra
    /// volatility multiplier).
    pub overrides: &'static [(Industry, f64, f64)],
    /// Annual drift of the bond fund.
    pub bond_drift: f64,
    /// Annual drift of the money-market fund (its yield).
    pub cash_drift: f64,
    /// Annual drift of crypto.
    pub crypto_drift: f64,
    /// Multiplies the volatility of equities and crypto (and their sectors'); bonds and
    /// cash keep theirs.
    pub vol_mult: f64,
    /// Multiplies every instrument's jump intensity.
    pub jump_mult: f64,
    /// The daily probability of switching regime of equity and crypto sectors (bonds
    /// and cash keep their catalogue regimes).
    pub regime_switch: f64,
    /// The turbulent volatility multiplier of equity and crypto sectors.
    pub turbulence: f64,
    /// Annual consumer-price inflation.
    pub inflation: f64,
}

/// A preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Two years of steady gains with low volatility.
    CalmBull,
    /// A boom, a credit crunch, capitulation and a recovery, shaped like 2007–2009.
    Crash2008,
    /// A technology bubble that inflates for two years and bursts, shaped like 1998–2002.
    DotComBubble,
    /// Ten years of high inflation with weak real returns, shaped like the 1970s.
    HighInflationDecade,
}

const NONE: &[(Industry, f64, f64)] = &[];

const CALM_BULL: [Phase; 1] = [Phase {
    name: "steady climb",
    days: 504,
    equity_drift: 0.18,
    overrides: NONE,
    bond_drift: 0.04,
    cash_drift: 0.02,
    crypto_drift: 0.30,
    vol_mult: 0.45,
    jump_mult: 0.2,
    regime_switch: 0.0,
    turbulence: 1.0,
    inflation: 0.02,
}];

const CRASH_2008: [Phase; 4] = [
    Phase {
        name: "late boom",
        days: 126,
        equity_drift: 0.10,
        overrides: NONE,
        bond_drift: 0.04,
        cash_drift: 0.045,
        crypto_drift: 0.15,
        vol_mult: 0.8,
        jump_mult: 1.0,
        regime_switch: 0.01,
        turbulence: 1.3,
        inflation: 0.03,
    },
    Phase {
        name: "credit crunch",
        days: 105,
        equity_drift: -0.9,
        overrides: &[(Industry::Financials, -1.6, 1.3)],
        bond_drift: 0.06,
        cash_drift: 0.02,
        crypto_drift: -1.5,
        vol_mult: 1.2,
        jump_mult: 2.5,
        regime_switch: 0.03,
        turbulence: 1.5,
        inflation: 0.02,
    },
    Phase {
        name: "capitulation",
        days: 42,
        equity_drift: -2.2,
        overrides: &[(Industry::Financials, -3.5, 1.3)],
        bond_drift: 0.05,
        cash_drift: 0.005,
        crypto_drift: -4.0,
        vol_mult: 1.5,
        jump_mult: 3.0,
        regime_switch: 0.05,
        turbulence: 1.5,
        inflation: 0.0,
    },
    Phase {
        name: "recovery",
        days: 252,
        equity_drift: 0.25,
        overrides: NONE,
        bond_drift: 0.04,
        cash_drift: 0.002,
        crypto_drift: 0.4,
        vol_mult: 1.0,
        jump_mult: 1.0,
        regime_switch: 0.02,
        turbulence: 1.3,
        inflation: 0.01,
    },
];

const DOT_COM: [Phase; 3] = [
    Phase {
        name: "the new economy",
        days: 504,
        equity_drift: 0.18,
        overrides: &[(Industry::Technology, 0.8, 1.0)],
        bond_drift: 0.05,
        cash_drift: 0.05,
        crypto_drift: 0.9,
        vol_mult: 0.8,
        jump_mult: 1.0,
        regime_switch: 0.015,
        turbulence: 1.2,
        inflation: 0.025,
    },
    Phase {
        name: "the bust",
        days: 630,
        equity_drift: -0.25,
        overrides: &[(Industry::Technology, -0.75, 1.3)],
        bond_drift: 0.07,
        cash_drift: 0.03,
        crypto_drift: -0.9,
        vol_mult: 0.9,
        jump_mult: 2.0,
        regime_switch: 0.02,
        turbulence: 1.3,
        inflation: 0.025,
    },
    Phase {
        name: "bottoming out",
        days: 126,
        equity_drift: 0.10,
        overrides: &[(Industry::Technology, 0.1, 1.0)],
        bond_drift: 0.04,
        cash_drift: 0.01,
        crypto_drift: 0.1,
        vol_mult: 0.9,
        jump_mult: 1.0,
        regime_switch: 0.015,
        turbulence: 1.2,
        inflation: 0.02,
    },
];

const HIGH_INFLATION: [Phase; 3] = [
    Phase {
        name: "prices take off",
        days: 756,
        equity_drift: 0.02,
        overrides: &[(Industry::Energy, 0.14, 1.2)],
        bond_drift: -0.01,
        cash_drift: 0.06,
        crypto_drift: 0.05,
        vol_mult: 0.75,
        jump_mult: 1.2,
        regime_switch: 0.015,
        turbulence: 1.2,
        inflation: 0.07,
    },
    Phase {
        name: "stagflation",
        days: 1008,
        equity_drift: -0.02,
        overrides: &[(Industry::Energy, 0.12, 1.3)],
        bond_drift: -0.03,
        cash_drift: 0.09,
        crypto_drift: -0.05,
        vol_mult: 0.8,
        jump_mult: 1.5,
        regime_switch: 0.02,
        turbulence: 1.2,
        inflation: 0.10,
    },
    Phase {
        name: "the squeeze",
        days: 756,
        equity_drift: 0.08,
        overrides: NONE,
        bond_drift: 0.02,
        cash_drift: 0.11,
        crypto_drift: 0.1,
        vol_mult: 0.75,
        jump_mult: 1.2,
        regime_switch: 0.015,
        turbulence: 1.2,
        inflation: 0.06,
    },
];

impl Scenario {
    /// Every preset.
    pub const ALL: [Self; 4] = [
        Self::CalmBull,
        Self::Crash2008,
        Self::DotComBubble,
        Self::HighInflationDecade,
    ];

    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CalmBull => "calm_bull",
            Self::Crash2008 => "crash_2008",
            Self::DotComBubble => "dot_com",
            Self::HighInflationDecade => "high_inflation",
        }
    }

    /// The preset with storage name `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// What the learner is told.
    pub fn description(self) -> &'static str {
        match self {
            Self::CalmBull => {
                "A calm bull market (simulated): two years of steady gains and low \
                 volatility. Good for learning the basics without drama."
            }
            Self::Crash2008 => {
                "A financial crisis shaped like 2007–2009 (simulated): a late boom, a \
                 credit crunch led by banks, a capitulation that takes the broad market \
                 down by about half or more from its peak, then a recovery. Bonds hold \
                 up while stocks fall."
            }
            Self::DotComBubble => {
                "A technology bubble shaped like 1998–2002 (simulated): tech stocks \
                 multiply for two years, then lose most of their value over the next \
                 two and a half."
            }
            Self::HighInflationDecade => {
                "A decade of high inflation shaped like the 1970s (simulated): prices \
                 roughly double, bonds lose in real terms, cash keeps pace through high \
                 rates and energy shares tend to hold up best."
            }
        }
    }

    /// The phases, in order.
    pub fn phases(self) -> &'static [Phase] {
        match self {
            Self::CalmBull => &CALM_BULL,
            Self::Crash2008 => &CRASH_2008,
            Self::DotComBubble => &DOT_COM,
            Self::HighInflationDecade => &HIGH_INFLATION,
        }
    }

    /// Trading days in the scenario.
    pub fn days(self) -> u32 {
        self.phases().iter().map(|p| p.days).sum()
    }

    /// The consumer-price level at the end relative to the start (e.g. 2.1: prices
    /// more than doubled), compounding each phase's inflation over its days.
    pub fn price_level(self) -> f64 {
        self.phases().iter().fold(1.0, |level, p| {
            level * libm::pow(1.0 + p.inflation, f64::from(p.days) / TRADING_DAYS)
        })
    }

    /// The seed of this scenario's streams for market `seed`.
    fn stream_seed(self, seed: u64) -> u64 {
        let tag = match self {
            Self::CalmBull => 1,
            Self::Crash2008 => 2,
            Self::DotComBubble => 3,
            Self::HighInflationDecade => 4,
        };
        Rng::stream(seed, (1 << 43) + tag).next_u64()
    }

    /// The daily bars of `symbol` over the whole scenario, for market `seed`; `None`
    /// for an unknown symbol. Same inputs, same bars, on every machine.
    pub fn daily_series(self, seed: u64, catalogue: &Catalogue, symbol: &str) -> Option<Vec<Bar>> {
        let inst = catalogue.get(symbol)?;
        let base = inst.industry.sector();
        let mut state = PathState::new(
            self.stream_seed(seed),
            u64::from(inst.id),
            base.id,
            inst.start(),
        );
        let mut out = Vec::with_capacity(self.days() as usize);
        let dp = inst.class.price_dp();
        for phase in self.phases() {
            let (sector, params) = phase_inputs(phase, inst, &base);
            for _ in 0..phase.days {
                let day = simulate_day(
                    &mut state,
                    &sector,
                    &params,
                    &SCENARIO_CLOCK,
                    inst.adv(),
                    |_| {},
                );
                out.push(day.bar(dp));
            }
        }
        Some(out)
    }
}

/// An instrument's sector and parameters during `phase`.
fn phase_inputs(phase: &Phase, inst: &Instrument, base: &Sector) -> (Sector, Params) {
    let over = phase.overrides.iter().find(|(i, _, _)| *i == inst.industry);
    let (mu, extra_vol) = match inst.class {
        AssetClass::Stock | AssetClass::Etf => {
            over.map_or((phase.equity_drift, 1.0), |&(_, mu, v)| (mu, v))
        }
        AssetClass::BondFund => (phase.bond_drift, 1.0),
        AssetClass::MoneyMarket => (phase.cash_drift, 1.0),
        AssetClass::Crypto => (phase.crypto_drift, 1.0),
    };
    // Cash stays cash; bonds are where money flees to in a crisis, so they keep their
    // own volatility and calmer regimes and only their drift follows the phase.
    let risky = matches!(
        inst.class,
        AssetClass::Stock | AssetClass::Etf | AssetClass::Crypto
    );
    let vol = match inst.class {
        AssetClass::MoneyMarket | AssetClass::BondFund => 1.0,
        _ => phase.vol_mult * extra_vol,
    };
    let sector = if risky {
        Sector {
            sigma: base.sigma * vol,
            regime_switch: phase.regime_switch,
            turbulence: phase.turbulence,
            ..*base
        }
    } else {
        Sector {
            sigma: base.sigma * vol,
            ..*base
        }
    };
    let params = Params {
        mu,
        sigma: inst.params.sigma * vol,
        jumps_per_year: inst.params.jumps_per_year * phase.jump_mult,
        ..inst.params
    };
    (sector, params)
}

#[cfg(test)]
#[path = "scenario_tests.rs"]
mod tests;
