//! Administration pages: users (admins), approval limits (the checkers: managers and admins,
//! as the service allows), dunning policies (seen by checkers, changed by admins). Every
//! change is one service operation, so it is audited like the same change from the CLI.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Response};
use serde::Deserialize;

use settle_core::Currency;
use settle_core::access::{Permission, Role};
use settle_core::approval::ApprovalOperation;

use super::pages::act;
use super::{Flash, PageError, Viewer, render};
use crate::state::AppState;

type Page = Result<Html<String>, PageError>;
type Action = Result<Response, PageError>;

const USERS: &str = "/admin/users";
const LIMITS: &str = "/admin/limits";
const POLICIES: &str = "/admin/policies";

const OPERATIONS: [ApprovalOperation; 3] = [
    ApprovalOperation::CreditMemo,
    ApprovalOperation::WriteOff,
    ApprovalOperation::Refund,
];

/// A bad field of a form, said on the page it came from (to those who may send the form).
fn refuse(
    viewer: &Viewer,
    csrf: &str,
    permission: Permission,
    back: &str,
    message: impl std::fmt::Display,
) -> Action {
    viewer.check_csrf(csrf)?;
    viewer.require(permission)?;
    Ok(super::redirect_with(back, "error", &message.to_string()))
}

// ---- users --------------------------------------------------------------------------------

pub async fn users(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(flash): Query<Flash>,
) -> Page {
    viewer.require(Permission::Administer)?;
    let users: Vec<serde_json::Value> = state
        .settle()
        .users()
        .await?
        .into_iter()
        .map(|u| {
            serde_json::json!({
                "name": u.name, "full_name": u.full_name, "role": u.role,
                "has_password": u.has_password, "disabled_at": u.disabled_at,
            })
        })
        .collect();
    let roles: Vec<&str> = Role::all().iter().map(|r| r.as_str()).collect();
    render(
        "admin_users.html",
        "admin",
        &viewer,
        &flash,
        serde_json::json!({ "users": users, "roles": roles, "tab": "users" }),
    )
}

#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    #[serde(default)]
    full_name: String,
    role: String,
    password: String,
}

pub async fn add_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewUserForm>,
) -> Action {
    let settle = viewer.settle(&state);
    let NewUserForm {
        csrf,
        name,
        full_name,
        role,
        password,
    } = form;
    let done_name = name.clone();
    act(
        &viewer,
        &csrf,
        Permission::Administer,
        USERS,
        move || async move {
            settle
                .add_user(name.trim(), full_name.trim(), &role, Some(&password))
                .await
        },
        |_| format!("User {done_name} added."),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    role: String,
}

pub async fn set_role(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<RoleForm>,
) -> Action {
    let role: Role = match form.role.parse() {
        Ok(role) => role,
        Err(e) => return refuse(&viewer, &form.csrf, Permission::Administer, USERS, e),
    };
    let settle = viewer.settle(&state);
    act(
        &viewer,
        &form.csrf,
        Permission::Administer,
        USERS,
        move || async move { settle.set_user_role(&name, role).await },
        |user| format!("{} is now {}.", user.name, user.role),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: String,
}

pub async fn disable_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Action {
    let settle = viewer.settle(&state);
    act(
        &viewer,
        &form.csrf,
        Permission::Administer,
        USERS,
        move || async move { settle.disable_user(&name).await },
        |user| {
            format!(
                "{} is disabled: no sign-in, no tokens, no approvals.",
                user.name
            )
        },
    )
    .await
}

// ---- approval limits ----------------------------------------------------------------------

pub async fn limits(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(flash): Query<Flash>,
) -> Page {
    viewer.require(Permission::Approve)?;
    let settle = state.settle();
    let limits = settle.approval_limits().await?;
    let operations: Vec<serde_json::Value> = OPERATIONS
        .iter()
        .map(|op| serde_json::json!({ "code": op.as_str(), "name": op.describe() }))
        .collect();
    render(
        "admin_limits.html",
        "admin",
        &viewer,
        &flash,
        serde_json::json!({
            "limits": limits, "operations": operations, "tab": "limits",
            "functional_currency": settle.entity().functional_currency.code(),
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct LimitForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    operation: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
}

/// The form's operation and currency (none: the entity's own), or why not.
fn limit_of(form: &LimitForm) -> Result<(ApprovalOperation, Option<Currency>), String> {
    let operation = form
        .operation
        .parse::<ApprovalOperation>()
        .map_err(|e| format!("operation: {e}"))?;
    let currency = match form.currency.trim() {
        "" => None,
        code => Some(Currency::from_code(code).map_err(|e| format!("currency: {e}"))?),
    };
    Ok((operation, currency))
}

pub async fn set_limit(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<LimitForm>,
) -> Action {
    let (operation, currency) = match limit_of(&form) {
        Ok(parsed) => parsed,
        Err(message) => return refuse(&viewer, &form.csrf, Permission::Approve, LIMITS, message),
    };
    let settle = viewer.settle(&state);
    let amount = form.amount.trim().to_string();
    act(
        &viewer,
        &form.csrf,
        Permission::Approve,
        LIMITS,
        move || async move {
            settle
                .set_approval_limit(operation, &amount, currency)
                .await
        },
        |limit| {
            format!(
                "A {} over {} now waits for approval.",
                limit.operation.describe(),
                limit.limit
            )
        },
    )
    .await
}

pub async fn remove_limit(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<LimitForm>,
) -> Action {
    let (operation, currency) = match limit_of(&form) {
        Ok(parsed) => parsed,
        Err(message) => return refuse(&viewer, &form.csrf, Permission::Approve, LIMITS, message),
    };
    let settle = viewer.settle(&state);
    act(
        &viewer,
        &form.csrf,
        Permission::Approve,
        LIMITS,
        move || async move { settle.remove_approval_limit(operation, currency).await },
        move |removed| {
            if removed {
                format!(
                    "The {} limit is removed: any amount posts at once.",
                    operation.describe()
                )
            } else {
                format!("There was no {} limit to remove.", operation.describe())
            }
        },
    )
    .await
}

// ---- dunning policies ---------------------------------------------------------------------

pub async fn policies(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(flash): Query<Flash>,
) -> Page {
    viewer.require(Permission::Approve)?;
    let policies: Vec<serde_json::Value> = state
        .settle()
        .dunning_policies()
        .await?
        .into_iter()
        .map(|p| {
            let json = serde_json::to_string_pretty(&p).unwrap_or_default();
            serde_json::json!({
                "name": p.name, "priority": p.priority, "levels": p.levels.len(), "json": json,
            })
        })
        .collect();
    render(
        "admin_policies.html",
        "admin",
        &viewer,
        &flash,
        serde_json::json!({
            "policies": policies, "tab": "policies",
            "can_edit": viewer.may(Permission::Administer),
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct PolicyForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    json: String,
}

pub async fn put_policy(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PolicyForm>,
) -> Action {
    let settle = viewer.settle(&state);
    let json = form.json;
    act(
        &viewer,
        &form.csrf,
        Permission::Administer,
        POLICIES,
        move || async move { settle.put_dunning_policy(&json).await },
        |policy| {
            format!(
                "Dunning policy {} stored ({} levels, priority {}).",
                policy.name,
                policy.levels.len(),
                policy.priority
            )
        },
    )
    .await
}

pub async fn delete_policy(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Action {
    let settle = viewer.settle(&state);
    let done = format!("Dunning policy {name} removed.");
    act(
        &viewer,
        &form.csrf,
        Permission::Administer,
        POLICIES,
        move || async move { settle.delete_dunning_policy(&name).await },
        |()| done,
    )
    .await
}
