//! The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663): what a
//! client must declare to use it, and the methods it adds. A task-supporting
//! `tools/call` may answer with a task the client then polls (`tasks/get`),
//! answers (`tasks/update`) or stops (`tasks/cancel`). Running and storing
//! tasks is the Python layer's work; the rules of the wire are here.

use crate::jsonrpc::{RpcError, MISSING_REQUIRED_CLIENT_CAPABILITY};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// The extension's identifier, under `capabilities.extensions` on both sides.
pub const EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// The methods the extension adds; each names its task in `params.taskId`.
pub fn is_task_method(method: &str) -> bool {
    matches!(method, "tasks/get" | "tasks/update" | "tasks/cancel")
}

#[derive(Deserialize)]
struct Capabilities<'a> {
    #[serde(borrow, default)]
    extensions: Option<HashMap<&'a str, &'a RawValue>>,
}

/// Whether a request's client capabilities (raw JSON) declare the extension.
pub fn declared(client_capabilities: &str) -> bool {
    serde_json::from_str::<Capabilities>(client_capabilities)
        .ok()
        .and_then(|c| c.extensions)
        .is_some_and(|e| e.contains_key(EXTENSION))
}

/// -32021 for a request that needs the extension its client did not declare,
/// naming it in `data.requiredCapabilities` as ClientCapabilities would.
pub fn missing_extension(what: &str) -> RpcError {
    RpcError::new(
        MISSING_REQUIRED_CLIENT_CAPABILITY,
        format!("{what} needs the client capability extensions[\"{EXTENSION}\"], which this request did not declare"),
    )
    .with_data(format!(
        "{{\"requiredCapabilities\":{{\"extensions\":{{\"{EXTENSION}\":{{}}}}}}}}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_is_declared_under_extensions() {
        assert!(declared(
            r#"{"sampling":{},"extensions":{"io.modelcontextprotocol/tasks":{}}}"#
        ));
        assert!(!declared(r#"{"sampling":{}}"#));
        assert!(!declared(r#"{"extensions":{"other/ext":{}}}"#));
        assert!(!declared("not json"));
    }

    #[test]
    fn the_missing_extension_is_named_in_the_error_data() {
        let e = missing_extension("tasks/get");
        assert_eq!(e.code, MISSING_REQUIRED_CLIENT_CAPABILITY);
        let data: serde_json::Value = serde_json::from_str(e.data.as_deref().unwrap()).unwrap();
        assert!(data["requiredCapabilities"]["extensions"][EXTENSION].is_object());
    }
}
