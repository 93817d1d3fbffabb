//! The OpenAPI 3.1 document, generated from the endpoint table the router is built from.

use serde_json::{Map, Value, json};

use settle_core::access::Permission;

use crate::api::{ENDPOINTS, Endpoint};

fn schema_of(kind: &str) -> Value {
    match kind {
        "date" => json!({ "type": "string", "format": "date" }),
        "date-time" => json!({ "type": "string", "format": "date-time" }),
        "array" => json!({ "type": "array" }),
        other => json!({ "type": other }),
    }
}

/// The path's `{name}` segments as path parameters.
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } })
        })
        .collect()
}

fn permission_text(permission: Permission) -> &'static str {
    match permission {
        Permission::Read => "any signed-in role (a sales user: own customers only)",
        Permission::WriteMoney => "admin, manager or clerk, with a write token",
        Permission::Collect => "admin, manager or collector, with a write token",
        Permission::Approve => "admin or manager, not the maker",
        Permission::Close => "admin or manager",
        Permission::Administer => "admin",
    }
}

fn operation(endpoint: &Endpoint) -> Value {
    let mut parameters = path_parameters(endpoint.path);
    for (name, meaning) in endpoint.query {
        parameters.push(json!({
            "name": name, "in": "query", "required": false,
            "description": meaning, "schema": { "type": "string" },
        }));
    }
    if endpoint.method != "get" {
        parameters.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "a retried request with the same key returns the first response and posts nothing new",
            "schema": { "type": "string", "maxLength": 255 },
        }));
    }
    let mut operation = json!({
        "summary": endpoint.summary,
        "description": format!("Allowed for: {}.", permission_text(endpoint.permission)),
        "parameters": parameters,
        "responses": {
            "200": { "description": endpoint.responds },
            "default": {
                "description": "a problem (RFC 9457)",
                "content": { "application/problem+json": {
                    "schema": { "$ref": "#/components/schemas/Problem" } } },
            },
        },
        "security": [ { "token": [] }, { "session": [] } ],
    });
    if !endpoint.body.is_empty() {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (name, kind, needed, meaning) in endpoint.body {
            let mut schema = schema_of(kind);
            if !meaning.is_empty() {
                schema["description"] = json!(meaning);
            }
            properties.insert((*name).to_string(), schema);
            if *needed {
                required.push(*name);
            }
        }
        operation["requestBody"] = json!({
            "required": !required.is_empty(),
            "content": { "application/json": { "schema": {
                "type": "object", "properties": properties, "required": required,
                "additionalProperties": false,
            } } },
        });
    }
    operation
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for endpoint in ENDPOINTS {
        let entry = paths
            .entry(endpoint.path.to_string())
            .or_insert_with(|| json!({}));
        entry[endpoint.method] = operation(endpoint);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Settle API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Accounts receivable and collections. Amounts are decimal text in the currency of what they act on; every write takes an Idempotency-Key; errors are problem details.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "token": { "type": "http", "scheme": "bearer", "description": "an API token from `settle token create`" },
                "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE },
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "properties": {
                        "type": { "type": "string" },
                        "title": { "type": "string" },
                        "status": { "type": "integer" },
                        "detail": { "type": "string" },
                        "field": { "type": "string" },
                        "errors": { "type": "array" },
                        "retryable": { "type": "boolean" },
                    },
                    "required": ["type", "title", "status", "detail"],
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_documented_once_with_its_path_parameters() {
        let document = document();
        for endpoint in ENDPOINTS {
            let operation = &document["paths"][endpoint.path][endpoint.method];
            assert!(
                operation.is_object(),
                "{} {}",
                endpoint.method,
                endpoint.path
            );
            let declared = path_parameters(endpoint.path).len();
            let documented = operation["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["in"] == "path")
                .count();
            assert_eq!(declared, documented, "{}", endpoint.path);
        }
        let operations: usize = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(
            operations,
            ENDPOINTS.len(),
            "a method and path documented twice"
        );
    }
}
