//! The answers the MCP authorization spec prescribes: the `WWW-Authenticate`
//! challenge of a 401 or 403 (RFC 6750, with RFC 9728's `resource_metadata`)
//! and the Protected Resource Metadata document (RFC 9728).

use crate::http::Response;
use crate::jsonrpc::{RpcError, INVALID_REQUEST};
use serde_json::json;

/// A quoted-string value: no quotes or backslashes or control characters inside.
fn quoted(value: &str) -> String {
    let clean: String = value
        .chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect();
    format!("\"{clean}\"")
}

/// `Bearer resource_metadata="...", scope="...", error="...", error_description="..."`.
pub fn challenge(
    resource_metadata: &str,
    scope: Option<&str>,
    error: Option<&str>,
    description: Option<&str>,
) -> String {
    let mut parts = vec![format!("resource_metadata={}", quoted(resource_metadata))];
    if let Some(error) = error {
        parts.push(format!("error={}", quoted(error)));
    }
    if let Some(scope) = scope.filter(|s| !s.is_empty()) {
        parts.push(format!("scope={}", quoted(scope)));
    }
    if let Some(description) = description {
        parts.push(format!("error_description={}", quoted(description)));
    }
    format!("Bearer {}", parts.join(", "))
}

/// 401 (no or bad credentials) or 403 (insufficient scope) with its challenge
/// and a JSON-RPC error body naming the problem.
pub fn refusal(
    status: u16,
    resource_metadata: &str,
    scope: Option<&str>,
    error: Option<&str>,
    description: &str,
) -> Response {
    let reason = if status == 401 {
        "Unauthorized"
    } else {
        "Forbidden"
    };
    let mut r = Response::rpc_error(
        status,
        &RpcError::new(INVALID_REQUEST, format!("{reason}: {description}")),
    );
    r.headers.push((
        "www-authenticate",
        challenge(resource_metadata, scope, error, Some(description)),
    ));
    r
}

/// RFC 9728 metadata for `resource` (the MCP endpoint's URL).
pub fn resource_metadata(
    resource: &str,
    authorization_servers: &[String],
    scopes: &[String],
    name: Option<&str>,
) -> Vec<u8> {
    let mut doc = json!({
        "resource": resource,
        "authorization_servers": authorization_servers,
        "bearer_methods_supported": ["header"],
    });
    if !scopes.is_empty() {
        doc["scopes_supported"] = json!(scopes);
    }
    if let Some(name) = name {
        doc["resource_name"] = json!(name);
    }
    doc.to_string().into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_quote_their_values() {
        assert_eq!(
            challenge("https://h/.well-known/oauth-protected-resource/mcp/http", Some("read write"), Some("insufficient_scope"), None),
            "Bearer resource_metadata=\"https://h/.well-known/oauth-protected-resource/mcp/http\", error=\"insufficient_scope\", scope=\"read write\""
        );
        assert_eq!(
            challenge("u", None, None, Some("say \"hi\"")),
            "Bearer resource_metadata=\"u\", error_description=\"say hi\""
        );
    }

    #[test]
    fn refusals_carry_status_challenge_and_body() {
        let r = refusal(
            403,
            "u",
            Some("admin"),
            Some("insufficient_scope"),
            "the token lacks scope admin",
        );
        assert_eq!(r.status, 403);
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| *k == "www-authenticate" && v.contains("insufficient_scope")));
        assert!(String::from_utf8(r.body)
            .unwrap()
            .contains("Forbidden: the token lacks scope admin"));
    }

    #[test]
    fn metadata_lists_servers_and_scopes() {
        let doc: serde_json::Value = serde_json::from_slice(&resource_metadata(
            "https://h/mcp/http",
            &["https://auth".into()],
            &["read".into()],
            Some("Shop"),
        ))
        .unwrap();
        assert_eq!(doc["resource"], "https://h/mcp/http");
        assert_eq!(doc["authorization_servers"][0], "https://auth");
        assert_eq!(doc["scopes_supported"][0], "read");
        assert_eq!(doc["bearer_methods_supported"][0], "header");
    }
}
