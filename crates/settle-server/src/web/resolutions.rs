//! Resolving a dispute from its page: what is posted at once is said, and a credit memo or
//! write-off over its limit is said to wait for approval.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use settle_core::access::Permission;
use settle_service::Decided;
use settle_service::disputes::Resolution;

use super::pages::{act, today};
use super::{PageError, Viewer, redirect_with};
use crate::state::AppState;

const BACK: &str = "/disputes";

#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    resolution: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    replacement: String,
    /// A checkbox: present when ticked.
    direct: Option<String>,
    #[serde(default)]
    note: String,
}

pub async fn resolve(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ResolveForm>,
) -> Result<Response, PageError> {
    let resolution = match Resolution::from_parts(
        &form.resolution,
        Some(form.amount),
        Some(form.replacement),
        form.direct.is_some(),
    ) {
        Ok(resolution) => resolution,
        Err(e) => {
            viewer.check_csrf(&form.csrf)?;
            viewer.require(Permission::Collect)?;
            return Ok(redirect_with(BACK, "error", &e.to_string()));
        }
    };
    let settle = viewer.settle(&state);
    let note = form.note;
    act(
        &viewer,
        &form.csrf,
        Permission::Collect,
        BACK,
        move || async move { settle.resolve_dispute(id, resolution, today(), &note).await },
        |outcome| match outcome.value {
            Decided::Posted(resolved) => format!(
                "Dispute {id} {}: {} posted; {} still open on {}.",
                resolved.status, resolved.posted, resolved.invoice_open, resolved.invoice
            ),
            Decided::AwaitsApproval(pending) => format!(
                "Dispute {id}: the {} awaits approval {}; nothing was posted.",
                pending.summary, pending.approval_id
            ),
        },
    )
    .await
}
