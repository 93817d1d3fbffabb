//! Request extractors whose failures are problem details naming the field, not axum's plain
//! text: a JSON body, a query string, and the `Idempotency-Key` header.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Json, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// The longest idempotency key accepted.
const MAX_KEY_LEN: usize = 255;

/// A JSON request body.
pub struct Body<T>(pub T);

/// A query string.
pub struct Params<T>(pub T);

/// The `Idempotency-Key` header, when the request carries one.
pub struct IdempotencyKey(pub Option<String>);

/// The field a serde error names: the text before its first `: `, when it looks like a path.
fn field_of(message: &str) -> Option<String> {
    if let Some(rest) = message.split("missing field `").nth(1) {
        return rest.split('`').next().map(str::to_string);
    }
    let (path, _) = message.split_once(": ")?;
    let looks_like_path = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
    looks_like_path.then(|| path.to_string())
}

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: JsonRejection) -> Problem {
    match rejection {
        JsonRejection::JsonDataError(error) => {
            let text = error.body_text();
            let detail = text
                .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or(&text)
                .to_string();
            Problem::bad_request(field_of(&detail), detail)
        }
        JsonRejection::JsonSyntaxError(error) => {
            Problem::bad_request(None, format!("the body is not JSON: {}", error.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => Problem::bad_request(
            None,
            "send the body as JSON with Content-Type: application/json",
        ),
        other => Problem::bad_request(None, other.body_text()),
    }
}

impl<S, T> FromRequestParts<S> for Params<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Params(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(error)) => {
                let text = error.body_text();
                let detail = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text)
                    .to_string();
                Err(Problem::bad_request(field_of(&detail), detail))
            }
            Err(other) => Err(Problem::bad_request(None, other.body_text())),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(IdempotencyKey(None));
        };
        let key = value
            .to_str()
            .ok()
            .map(|k| k.trim_matches('"').to_string())
            .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN && !k.chars().any(char::is_control))
            .ok_or_else(|| {
                Problem::bad_request(
                    Some("Idempotency-Key".into()),
                    format!("must be 1 to {MAX_KEY_LEN} printable characters"),
                )
            })?;
        Ok(IdempotencyKey(Some(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn the_field_is_read_from_serde_messages() {
        assert_eq!(
            field_of("amount: invalid type: integer `5`, expected a string").as_deref(),
            Some("amount")
        );
        assert_eq!(
            field_of("lines[0].net: invalid type").as_deref(),
            Some("lines[0].net")
        );
        assert_eq!(
            field_of("missing field `customer_id` at line 1 column 2").as_deref(),
            Some("customer_id")
        );
        assert_eq!(field_of("expected value at line 1 column 2"), None);
    }
}
