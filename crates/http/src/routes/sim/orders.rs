//! `/v1/sim/orders` and `/v1/sim/fills`: placing, listing, cancelling and replacing
//! orders, and the fills with their explanations.

use super::dto::{FillOut, OrderOut};
use super::{DecimalIn, Items, Sim, decimal, items, portfolio_ref, sim};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, QueryParams, SignedIn};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use nexus_app::sim::{PlaceOrder, Placed, ReplaceOrder};
use nexus_domain::FieldErrors;
use nexus_domain::paging::PageRequest;
use nexus_store::OrderStatusFilter;
use nexus_trading::order::{RawOrder, RawReplace};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sim/orders", get(list).post(place))
        .route("/sim/orders/{id}", get(show).delete(cancel).patch(replace))
        .route("/sim/fills", get(fills))
}

/// A new order. Give exactly one of `qty` and `notional`; `limit_price` on `limit` and
/// `stop_limit` orders only, `stop_price` on `stop` and `stop_limit` orders only.
#[derive(Deserialize, ToSchema)]
#[schema(as = SimOrderPlace)]
#[serde(deny_unknown_fields)]
struct OrderIn {
    /// `practice` (default: the learner's own practice portfolio) or a competition
    /// portfolio's ID.
    portfolio_id: Option<String>,
    /// The instrument's ticker.
    #[schema(value_type = String, required = true)]
    symbol: Option<String>,
    /// `buy` or `sell`.
    #[schema(value_type = String, required = true)]
    side: Option<String>,
    /// `market`, `limit`, `stop` or `stop_limit`.
    #[serde(rename = "type")]
    #[schema(value_type = String, required = true)]
    order_type: Option<String>,
    /// `day`, `gtc`, `ioc` or `fok`.
    #[schema(value_type = String, required = true)]
    time_in_force: Option<String>,
    /// Quantity to trade.
    #[schema(value_type = Option<DecimalIn>)]
    qty: Option<serde_json::Value>,
    /// Amount of money to trade instead of a quantity.
    #[schema(value_type = Option<DecimalIn>)]
    notional: Option<serde_json::Value>,
    /// Limit price.
    #[schema(value_type = Option<DecimalIn>)]
    limit_price: Option<serde_json::Value>,
    /// Stop price.
    #[schema(value_type = Option<DecimalIn>)]
    stop_price: Option<serde_json::Value>,
    /// Idempotency key, 1 to 64 printable ASCII characters without spaces: placing
    /// again with the same key in the same portfolio answers 200 with the original
    /// order instead of placing a new one.
    client_order_id: Option<String>,
}

/// Changes to an open order; absent fields keep their value.
#[derive(Deserialize, ToSchema)]
#[schema(as = SimOrderReplace)]
#[serde(deny_unknown_fields)]
struct ReplaceIn {
    /// The new total quantity, including what has already filled.
    #[schema(value_type = Option<DecimalIn>)]
    qty: Option<serde_json::Value>,
    /// The new limit price.
    #[schema(value_type = Option<DecimalIn>)]
    limit_price: Option<serde_json::Value>,
    /// The new stop price.
    #[schema(value_type = Option<DecimalIn>)]
    stop_price: Option<serde_json::Value>,
    /// `day`, `gtc`, `ioc` or `fok`.
    time_in_force: Option<String>,
    /// Idempotency key of the replacement, 1 to 64 printable ASCII characters without
    /// spaces: a retry with the same key answers with the replacement already made.
    client_order_id: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListIn {
    /// `practice` (default: the learner's practice portfolio) or a portfolio ID.
    portfolio: Option<String>,
    /// `open` (new, accepted, partially filled), `closed` (filled, canceled, expired,
    /// rejected) or `all` (default).
    status: Option<String>,
    /// Only orders of this ticker.
    symbol: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<u32>,
    /// Rows to skip (default 0).
    offset: Option<u64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct FillsIn {
    /// `practice` (default: the learner's practice portfolio) or a portfolio ID;
    /// ignored when `order` is given.
    portfolio: Option<String>,
    /// Only the fills of this order (ID).
    order: Option<String>,
    /// Page size, 1 to 200 (default 50).
    limit: Option<u32>,
    /// Rows to skip (default 0).
    offset: Option<u64>,
}

/// An order with its fills.
#[derive(Serialize, ToSchema)]
#[schema(as = SimOrderWithFills)]
struct PlacedOut {
    /// The order.
    order: OrderOut,
    /// Its fills.
    fills: Vec<FillOut>,
}

impl From<&Placed> for PlacedOut {
    fn from(p: &Placed) -> Self {
        Self {
            order: (&p.order).into(),
            fills: p.fills.iter().map(FillOut::from).collect(),
        }
    }
}

fn parse_order(body: OrderIn) -> Result<PlaceOrder, ApiError> {
    let mut errors = FieldErrors::new();
    let qty = decimal(&mut errors, "qty", body.qty.as_ref());
    let notional = decimal(&mut errors, "notional", body.notional.as_ref());
    let limit = decimal(&mut errors, "limit_price", body.limit_price.as_ref());
    let stop = decimal(&mut errors, "stop_price", body.stop_price.as_ref());
    if body.symbol.is_none() {
        errors.push("symbol", "required", "name the instrument");
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(PlaceOrder {
        portfolio: portfolio_ref(body.portfolio_id.as_deref())?,
        symbol: body.symbol.unwrap_or_default(),
        order: RawOrder {
            side: body.side.unwrap_or_default(),
            order_type: body.order_type.unwrap_or_default(),
            tif: body.time_in_force.unwrap_or_default(),
            qty,
            notional,
            limit,
            stop,
        },
        client_order_id: body.client_order_id,
    })
}

/// `POST /v1/sim/orders` — 201 with the order and its immediate fills; a repeated
/// `client_order_id` answers 200 with the original order.
#[utoipa::path(post, path = "/sim/orders", operation_id = "sim_orders_place",
    tag = "Simulator: orders",
    request_body = OrderIn,
    responses(
        (status = 201, description = "Placed: the order and its immediate fills",
            body = Sim<PlacedOut>),
        (status = 200, description = "A repeated `client_order_id`: the original order and its \
            fills, nothing placed", body = Sim<PlacedOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn place(
    State(s): State<AppState>,
    signed: SignedIn,
    JsonBody(body): JsonBody<OrderIn>,
) -> Result<impl IntoResponse, ApiError> {
    let (caller, tenant) = (signed.caller(), signed.tenant);
    s.services.sim.may_trade(&caller, tenant)?;
    let req = parse_order(body)?;
    let placed = s.services.sim.place(&caller, tenant, req).await?;
    let status = if placed.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, sim(PlacedOut::from(&placed))))
}

fn parse_list(q: &ListIn) -> Result<(OrderStatusFilter, PageRequest), ApiError> {
    let mut errors = FieldErrors::new();
    let status = match q.status.as_deref() {
        None | Some("all") => Some(OrderStatusFilter::All),
        Some("open") => Some(OrderStatusFilter::Open),
        Some("closed") => Some(OrderStatusFilter::Closed),
        Some(_) => {
            errors.push("status", "invalid_status", "must be open, closed or all");
            None
        }
    };
    let page = errors.check("limit", PageRequest::new(q.limit, q.offset));
    errors
        .finish(|| Some((status?, page?)))
        .map_err(ApiError::validation)
}

/// `GET /v1/sim/orders?portfolio=&status=open|closed|all&symbol=` — newest first.
#[utoipa::path(get, path = "/sim/orders", operation_id = "sim_orders_list",
    tag = "Simulator: orders",
    params(ListIn),
    responses((status = 200, description = "The portfolio's orders, newest first",
        body = Sim<Items<OrderOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn list(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<ListIn>,
) -> Result<impl IntoResponse, ApiError> {
    let (status, page) = parse_list(&q)?;
    let portfolio = portfolio_ref(q.portfolio.as_deref())?;
    let orders = s
        .services
        .sim
        .orders(
            &signed.caller(),
            signed.tenant,
            portfolio,
            status,
            q.symbol.as_deref(),
            page,
        )
        .await?;
    Ok(items(orders.iter().map(OrderOut::from).collect()))
}

/// `GET /v1/sim/orders/{id}` — with its fills.
#[utoipa::path(get, path = "/sim/orders/{id}", operation_id = "sim_orders_show",
    tag = "Simulator: orders",
    params(("id" = String, Path, description = "The order's ID")),
    responses((status = 200, description = "The order with its fills", body = Sim<PlacedOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn show(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (caller, tenant) = (signed.caller(), signed.tenant);
    let id = super::super::id(&id, "order")?;
    let order = s.services.sim.order(&caller, tenant, id).await?;
    let fills = s
        .services
        .sim
        .fills(
            &caller,
            tenant,
            None,
            Some(id),
            PageRequest::new(Some(nexus_domain::paging::MAX_LIMIT), None).unwrap_or_default(),
        )
        .await?;
    Ok(sim(PlacedOut::from(&Placed {
        order,
        fills,
        replayed: false,
    })))
}

/// `DELETE /v1/sim/orders/{id}` — cancels an open order; 409 `order_not_open` otherwise.
#[utoipa::path(delete, path = "/sim/orders/{id}", operation_id = "sim_orders_cancel",
    tag = "Simulator: orders",
    params(("id" = String, Path, description = "The order's ID")),
    responses((status = 200, description = "The canceled order", body = Sim<OrderOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn cancel(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = super::super::id(&id, "order")?;
    let order = s
        .services
        .sim
        .cancel(&signed.caller(), signed.tenant, id)
        .await?;
    Ok(sim(OrderOut::from(&order)))
}

/// `PATCH /v1/sim/orders/{id}` — cancel and replace: the order is canceled (`replaced`)
/// and a new one placed with the changes; `qty` is the new total including what filled.
/// 409 `order_not_open` when the order is no longer open.
#[utoipa::path(patch, path = "/sim/orders/{id}", operation_id = "sim_orders_replace",
    tag = "Simulator: orders",
    params(("id" = String, Path, description = "The open order to replace")),
    request_body = ReplaceIn,
    responses(
        (status = 201, description = "The replacement order and its immediate fills", body = Sim<PlacedOut>),
        (status = 200, description = "A retry with the same `client_order_id`: the replacement \
            already made", body = Sim<PlacedOut>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn replace(
    State(s): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReplaceIn>,
) -> Result<impl IntoResponse, ApiError> {
    let id = super::super::id(&id, "order")?;
    let mut errors = FieldErrors::new();
    let changes = RawReplace {
        qty: decimal(&mut errors, "qty", body.qty.as_ref()),
        limit: decimal(&mut errors, "limit_price", body.limit_price.as_ref()),
        stop: decimal(&mut errors, "stop_price", body.stop_price.as_ref()),
        tif: body.time_in_force,
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let req = ReplaceOrder {
        changes,
        client_order_id: body.client_order_id,
    };
    let placed = s
        .services
        .sim
        .replace(&signed.caller(), signed.tenant, id, req)
        .await?;
    // As for placing: a retry answers 200 with what the first attempt made.
    let status = if placed.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, sim(PlacedOut::from(&placed))))
}

/// `GET /v1/sim/fills?portfolio=&order=` — newest first, each with its explanation.
#[utoipa::path(get, path = "/sim/fills", operation_id = "sim_fills_list",
    tag = "Simulator: orders",
    params(FillsIn),
    responses((status = 200, description = "The fills, newest first", body = Sim<Items<FillOut>>)),
    security(("session" = []), ("session_cookie" = []), ("api_key" = [])))]
async fn fills(
    State(s): State<AppState>,
    signed: SignedIn,
    QueryParams(q): QueryParams<FillsIn>,
) -> Result<impl IntoResponse, ApiError> {
    let page = PageRequest::new(q.limit, q.offset)
        .map_err(|e| nexus_app::AppError::invalid_field("limit", e))?;
    let portfolio = portfolio_ref(q.portfolio.as_deref())?;
    let order = q
        .order
        .as_deref()
        .map(|o| super::super::id(o, "order"))
        .transpose()?;
    let fills = s
        .services
        .sim
        .fills(&signed.caller(), signed.tenant, portfolio, order, page)
        .await?;
    Ok(items(fills.iter().map(FillOut::from).collect()))
}

/// This module's operations, for the OpenAPI document.
pub(crate) fn api() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(place, list, show, cancel, replace, fills))]
    struct Api;
    <Api as utoipa::OpenApi>::openapi()
}
