//! Errors as RFC 9457 problem details: a status, a type naming the kind of problem, a title,
//! the detail in words a user can act on, and the field it concerns when there is one.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use settle_service::{RowError, ServiceError};

/// One problem, ready to be sent.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The request field the problem concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every bad row of a rejected file: file, line, field and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RowError>,
    /// The request may be sent again as it is (it lost to a concurrent one; nothing was written).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub retryable: bool,
}

/// Where the kinds of problem are described.
const TYPE_BASE: &str = "/api/v1/problems#";

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            kind: format!("{TYPE_BASE}{kind}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            errors: Vec::new(),
            retryable: false,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// A request the server could not read (bad JSON, a missing or mistyped field).
    pub fn bad_request(field: Option<String>, detail: impl Into<String>) -> Self {
        let problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "The request is not valid",
            detail,
        );
        match field {
            Some(field) => problem.with_field(field),
            None => problem,
        }
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign in or send a valid API token",
            detail,
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Your role does not allow this",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }
}

impl From<ServiceError> for Problem {
    fn from(error: ServiceError) -> Problem {
        let detail = error.to_string();
        if error.is_retryable() {
            let mut problem = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "contended",
                "Another request changed the same records; nothing was written",
                detail,
            );
            problem.retryable = true;
            return problem;
        }
        if error.storage_failure().is_some() {
            return Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage-failure",
                "The database cannot be written or reached; nothing was written",
                detail,
            );
        }
        match error {
            ServiceError::NotFound { .. } => Problem::not_found(detail),
            ServiceError::InvalidInput { field, message } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-input",
                "The request is not valid",
                message,
            )
            .with_field(field),
            ServiceError::ImportRejected { errors, .. }
            | ServiceError::GlFileRejected { errors, .. }
            | ServiceError::FileRejected { errors, .. } => {
                let mut problem = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "file-rejected",
                    "The file has bad rows; nothing was stored",
                    detail,
                );
                problem.errors = errors;
                problem
            }
            ServiceError::BadFile { .. } | ServiceError::BankFileRejected { .. } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "file-rejected",
                "The file cannot be read; nothing was stored",
                detail,
            ),
            ServiceError::Rejected(_)
            | ServiceError::Refused(_)
            | ServiceError::PeriodClosed(_)
            | ServiceError::CloseRefused(_)
            | ServiceError::Period(_) => Problem::new(
                StatusCode::CONFLICT,
                "refused",
                "The ledger does not allow this",
                detail,
            ),
            ServiceError::Conflict { .. } => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "It exists already with different details",
                detail,
            ),
            ServiceError::IdempotencyConflict { .. } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "This Idempotency-Key was used for a different request",
                detail,
            )
            .with_field("Idempotency-Key"),
            ServiceError::NotPermitted(_) => Problem::forbidden(detail),
            ServiceError::Unauthenticated(_) => Problem::unauthenticated(detail),
            _ => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The server could not do this",
                detail,
            ),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.retryable;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if retry {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// What a handler returns: its value, or a problem.
pub type ApiResult<T> = Result<T, Problem>;
