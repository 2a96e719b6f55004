//! Field-level validation errors.
//!
//! Parsing a request collects *every* field error rather than stopping at the first, so
//! a client can fix a form in one round trip. The HTTP layer renders these as the
//! `errors` member of a 422 problem document.

use serde::Serialize;

/// One invalid field: a JSON-pointer-like path, a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Path of the offending field, e.g. `branding.primary_colour`.
    pub field: String,
    /// Stable machine code, e.g. `too_long`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

/// An accumulator of field errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Records one error.
    pub fn push(
        &mut self,
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.0.push(FieldError {
            field: field.into(),
            code,
            message: message.into(),
        });
    }
    /// Runs a parser, recording its error under `field` and returning the value if any.
    pub fn check<T>(&mut self, field: &str, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(mut e) => {
                field.clone_into(&mut e.field);
                self.0.push(e);
                None
            }
        }
    }
    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The recorded errors.
    pub fn as_slice(&self) -> &[FieldError] {
        &self.0
    }
    /// `Ok(value)` when there are no errors, otherwise `Err(self)`.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            value().ok_or(self)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// Builds a field error whose path is filled in by [`FieldErrors::check`].
pub fn invalid(code: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: String::new(),
        code,
        message: message.into(),
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}
