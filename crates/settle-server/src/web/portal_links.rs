//! The account page's button that hands a customer a portal link: the link is made for the
//! signed-in person and its address shown on this one answer, never again.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use settle_core::access::Permission;
use settle_service::portal::portal_url;

use super::{Flash, PageError, Viewer, redirect_with, render};
use crate::problem::Problem;
use crate::state::AppState;
use crate::worker::on_worker;

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    days: String,
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Form(form): Form<LinkForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(&form.csrf)?;
    if !(viewer.may(Permission::WriteMoney) || viewer.may(Permission::Collect)) {
        return Err(PageError::Problem(Problem::forbidden(format!(
            "portal links are made by a manager, clerk or collector; {} is {}",
            viewer.user,
            viewer.role.as_str()
        ))));
    }
    let back = format!("/customers/{code}");
    let days = match form.days.trim() {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(days) => Some(days),
            Err(_) => {
                return Ok(redirect_with(
                    &back,
                    "error",
                    "days: a whole number of days",
                ));
            }
        },
    };
    let settle = viewer.settle(&state);
    let customer = code.clone();
    let created =
        on_worker(move || async move { settle.create_portal_link(&customer, days).await }).await?;
    let created = match created {
        Ok(created) => created,
        Err(e) => return Ok(redirect_with(&back, "error", &e.to_string())),
    };
    let url = portal_url(&state.config().public_url, &created.secret);
    let page = render(
        "portal_link.html",
        "customers",
        &viewer,
        &Flash::default(),
        serde_json::json!({
            "code": created.customer,
            "name": created.customer_name,
            "id": created.id,
            "expires": created.expires_at,
            "url": url,
        }),
    )?;
    let mut response = page.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
