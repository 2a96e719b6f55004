//! Parsing uploaded OHLCV files (daily bars) into bars, all or nothing.
//!
//! Format (see `docs/MARKET_MODEL.md`):
//! - UTF-8, optionally with a byte-order mark; lines end in LF or CRLF; blank lines are
//!   skipped (line numbers still count them).
//! - A header line naming the columns `date`, `open`, `high`, `low`, `close`, `volume`
//!   in any order, case-insensitively; an `adj_close` (or `adj close`) column is
//!   allowed and ignored, as exported by common data sources. No other columns.
//! - Comma-separated fields, spaces around a field ignored, no quoting: a quote
//!   character is reported rather than guessed at.
//! - `date` is ISO `YYYY-MM-DD`, strictly increasing down the file; prices are plain
//!   positive decimals (`123.45`); `volume` a whole non-negative number; each row
//!   satisfies `low ≤ min(open, close)` and `high ≥ max(open, close)`.
//! - At most [`MAX_ROWS`] data rows.
//!
//! Every bad line is reported with its 1-based line number, so a user can fix the file
//! in one go; any error means no bars at all.

use crate::model::Bar;
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;
use time::{Date, Month};

/// The most data rows a file may have (about 80 years of trading days).
pub const MAX_ROWS: usize = 20_000;

/// One parsed row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatedBar {
    /// The trading date.
    pub date: Date,
    /// Its prices and volume.
    pub bar: Bar,
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, for the user.
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for CsvError {}

fn err(line: usize, message: impl Into<String>) -> CsvError {
    CsvError {
        line,
        message: message.into(),
    }
}

/// Column positions from the header.
#[derive(Debug, Clone, Copy)]
struct Columns {
    count: usize,
    date: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    volume: usize,
}

fn parse_header(line: &str, number: usize) -> Result<Columns, CsvError> {
    if line.contains('"') {
        return Err(err(number, "quoted fields are not supported"));
    }
    let names: Vec<String> = line
        .split(',')
        .map(|f| f.trim().to_ascii_lowercase())
        .collect();
    let find = |want: &str| -> Result<usize, CsvError> {
        let mut hits = names.iter().enumerate().filter(|(_, n)| *n == want);
        match (hits.next(), hits.next()) {
            (Some((i, _)), None) => Ok(i),
            (Some(_), Some(_)) => Err(err(number, format!("column `{want}` appears twice"))),
            (None, _) => Err(err(
                number,
                format!(
                    "missing column `{want}`: the header must name date,open,high,low,close,volume"
                ),
            )),
        }
    };
    if let Some(other) = names.iter().find(|n| {
        !matches!(
            n.as_str(),
            "date" | "open" | "high" | "low" | "close" | "volume" | "adj_close" | "adj close"
        )
    }) {
        return Err(err(number, format!("unknown column `{other}`")));
    }
    Ok(Columns {
        count: names.len(),
        date: find("date")?,
        open: find("open")?,
        high: find("high")?,
        low: find("low")?,
        close: find("close")?,
        volume: find("volume")?,
    })
}

/// A strict ISO `YYYY-MM-DD` date.
fn parse_date(s: &str) -> Result<Date, String> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(format!("bad date `{s}`: expected YYYY-MM-DD"));
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u16>().ok());
    let (Some(year), Some(month_number), Some(day_number)) = (num(0..4), num(5..7), num(8..10))
    else {
        return Err(format!("bad date `{s}`: expected YYYY-MM-DD"));
    };
    let month = u8::try_from(month_number)
        .ok()
        .and_then(|n| Month::try_from(n).ok())
        .ok_or_else(|| format!("bad date `{s}`: no month {month_number}"))?;
    let day = u8::try_from(day_number).map_err(|_| format!("bad date `{s}`"))?;
    Date::from_calendar_date(i32::from(year), month, day)
        .map_err(|_| format!("bad date `{s}`: no such day"))
}

/// A plain positive decimal price.
fn parse_price(name: &str, s: &str) -> Result<Decimal, String> {
    let plain = !s.is_empty()
        && s.bytes().filter(|&c| c == b'.').count() <= 1
        && s.bytes().all(|c| c.is_ascii_digit() || c == b'.')
        && s.bytes().any(|c| c.is_ascii_digit());
    if s.starts_with('-') {
        return Err(format!("{name} `{s}` must be positive"));
    }
    if !plain {
        return Err(format!("{name} `{s}` is not a decimal number"));
    }
    let value =
        Decimal::from_str(s).map_err(|_| format!("{name} `{s}` is not a decimal number"))?;
    if value <= Decimal::ZERO {
        return Err(format!("{name} `{s}` must be positive"));
    }
    Ok(value)
}

fn parse_volume(s: &str) -> Result<u64, String> {
    if s.starts_with('-') {
        return Err(format!("volume `{s}` must not be negative"));
    }
    if s.contains('.') {
        return Err(format!("volume `{s}` must be a whole number"));
    }
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("volume `{s}` is not a whole number"));
    }
    s.parse::<u64>()
        .map_err(|_| format!("volume `{s}` is too large"))
}

/// One data row, with every problem it has.
fn parse_row(fields: &[&str], cols: Columns) -> Result<DatedBar, Vec<String>> {
    let mut problems = Vec::new();
    let field = |i: usize| fields.get(i).copied().unwrap_or("");
    let date = parse_date(field(cols.date))
        .map_err(|e| problems.push(e))
        .ok();
    let mut price = |name: &str, i: usize| {
        parse_price(name, field(i))
            .map_err(|e| problems.push(e))
            .ok()
    };
    let open = price("open", cols.open);
    let high = price("high", cols.high);
    let low = price("low", cols.low);
    let close = price("close", cols.close);
    let volume = parse_volume(field(cols.volume))
        .map_err(|e| problems.push(e))
        .ok();
    if let (Some(o), Some(h), Some(l), Some(c)) = (open, high, low, close) {
        if h < o.max(c) {
            problems.push(format!("high {h} is below the open or close"));
        }
        if l > o.min(c) {
            problems.push(format!("low {l} is above the open or close"));
        }
    }
    match (date, open, high, low, close, volume) {
        (Some(date), Some(open), Some(high), Some(low), Some(close), Some(volume))
            if problems.is_empty() =>
        {
            Ok(DatedBar {
                date,
                bar: Bar {
                    open,
                    high,
                    low,
                    close,
                    volume,
                },
            })
        }
        _ => Err(problems),
    }
}

/// Parses an OHLCV file: every row as a bar, or every problem found.
pub fn parse_ohlcv(text: &str) -> Result<Vec<DatedBar>, Vec<CsvError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(vec![err(1, "the file is empty")]);
    };
    let cols = parse_header(header, header_line).map_err(|e| vec![e])?;
    let mut bars: Vec<DatedBar> = Vec::new();
    let mut errors = Vec::new();
    // The last date seen and its line, whether or not the rest of its row was valid,
    // so one bad price does not also make the next row look out of order.
    let mut last: Option<(Date, usize)> = None;
    let mut rows = 0usize;
    for (number, line) in lines {
        rows += 1;
        if rows > MAX_ROWS {
            errors.push(err(
                number,
                format!("too many rows: at most {MAX_ROWS} are allowed"),
            ));
            break;
        }
        if line.contains('"') {
            errors.push(err(number, "quoted fields are not supported"));
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != cols.count {
            errors.push(err(
                number,
                format!("expected {} columns, found {}", cols.count, fields.len()),
            ));
            continue;
        }
        let date = parse_date(fields.get(cols.date).copied().unwrap_or("")).ok();
        if let (Some(d), Some((prev, prev_line))) = (date, last) {
            if d == prev {
                errors.push(err(
                    number,
                    format!("duplicate date {d} (also on line {prev_line})"),
                ));
            } else if d < prev {
                errors.push(err(
                    number,
                    format!("date {d} is before {prev} on line {prev_line}: dates must increase"),
                ));
            }
        }
        if let Some(d) = date {
            last = Some((d, number));
        }
        match parse_row(&fields, cols) {
            Ok(bar) => bars.push(bar),
            Err(problems) => errors.extend(problems.into_iter().map(|p| err(number, p))),
        }
    }
    if rows == 0 && errors.is_empty() {
        errors.push(err(header_line, "the file has a header but no rows"));
    }
    if errors.is_empty() {
        Ok(bars)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;
