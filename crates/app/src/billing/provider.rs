//! How invoices get paid. A [`PaymentProvider`] tells the customer how to pay and, for
//! a card processor, verifies the processor's signed webhooks
//! ([`nexus_domain::billing::signature`]). The built-in provider is manual: pay by bank
//! transfer quoting the invoice number; a platform admin reconciles it.

use nexus_domain::billing::Invoice;
use rust_decimal::Decimal;

/// How to pay one invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentInstructions {
    /// The provider's name, e.g. `manual`.
    pub provider: &'static str,
    /// What the customer should do.
    pub instructions: String,
}

/// A way to collect payment.
pub trait PaymentProvider: Send + Sync {
    /// The provider's name.
    fn name(&self) -> &'static str;
    /// How to pay what is left of `invoice` (`due`: its total less its credit notes).
    fn instructions(&self, invoice: &Invoice, due: Decimal) -> PaymentInstructions;
    /// Checks a webhook from the provider: `signature` is its signature header. The
    /// manual provider receives none and refuses every one.
    fn verify_webhook(&self, signature: &str, body: &[u8], now: i64) -> Result<(), String>;
}

/// Pay by bank transfer, quoting the invoice number.
#[derive(Debug, Clone)]
pub struct ManualInvoiceProvider {
    /// Where to send the money (`billing.payee`), shown on every invoice.
    pub payee: String,
}

impl PaymentProvider for ManualInvoiceProvider {
    fn name(&self) -> &'static str {
        "manual"
    }

    fn instructions(&self, invoice: &Invoice, due: Decimal) -> PaymentInstructions {
        PaymentInstructions {
            provider: self.name(),
            instructions: format!(
                "Pay {due} {} by bank transfer to {} within 30 days, quoting {}.",
                invoice.currency, self.payee, invoice.number
            ),
        }
    }

    fn verify_webhook(&self, _signature: &str, _body: &[u8], _now: i64) -> Result<(), String> {
        Err("the manual provider receives no webhooks".to_owned())
    }
}

/// A card processor's webhook check, for an adapter to reuse: HMAC-SHA256 signatures
/// (`t=…,v1=…`) within five minutes.
pub fn verify_signed_webhook(
    secret: &[u8],
    signature: &str,
    body: &[u8],
    now: i64,
) -> Result<(), String> {
    nexus_domain::billing::signature::verify(secret, signature, body, now, 300)
        .map_err(|e| e.to_string())
}
