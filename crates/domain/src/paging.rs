//! Pagination and sorting for list endpoints.
//!
//! Lists are offset-paged with a hard maximum page size so that no client can ask the
//! database for an unbounded result. Sort keys are enums per list, never raw column
//! names, so user input never reaches SQL text.

use serde::Serialize;

/// Largest page a client may request.
pub const MAX_LIMIT: u32 = 200;
/// Page size when the client does not say.
pub const DEFAULT_LIMIT: u32 = 50;

/// A validated page window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    offset: u64,
}

impl PageRequest {
    /// Checks `limit` is in `1..=MAX_LIMIT`.
    pub fn new(limit: Option<u32>, offset: Option<u64>) -> Result<Self, crate::FieldError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(crate::validation::invalid(
                "out_of_range",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        Ok(Self {
            limit,
            offset: offset.unwrap_or(0),
        })
    }
    /// Page size.
    pub fn limit(&self) -> u32 {
        self.limit
    }
    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

impl Order {
    /// Parses `asc` or `desc`; absent means ascending.
    pub fn parse(raw: Option<&str>) -> Result<Self, crate::FieldError> {
        match raw {
            None | Some("asc") => Ok(Self::Asc),
            Some("desc") => Ok(Self::Desc),
            Some(_) => Err(crate::validation::invalid(
                "unknown_value",
                "must be asc or desc",
            )),
        }
    }

    /// SQL keyword for this direction.
    pub fn sql(self) -> &'static str {
        match self {
            Order::Asc => "ASC",
            Order::Desc => "DESC",
        }
    }
}

/// One page of results plus the total matching count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The rows on this page.
    pub items: Vec<T>,
    /// Rows matching the filter across all pages.
    pub total: u64,
    /// The window that produced this page.
    pub limit: u32,
    /// Rows skipped.
    pub offset: u64,
}

impl<T> Page<T> {
    /// Converts every item, keeping the window.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            limit: self.limit,
            offset: self.offset,
        }
    }
}
