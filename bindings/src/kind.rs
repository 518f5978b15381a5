//! The kinds of registered functions, as the strings Python uses.

use django_mcp_core::catalog::Kind;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

pub(crate) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Tool => "tool",
        Kind::Resource => "resource",
        Kind::Template => "template",
        Kind::Prompt => "prompt",
        Kind::Completion => "completion",
        Kind::Listen => "listen",
        Kind::Subscribe => "subscribe",
        Kind::Unsubscribe => "unsubscribe",
    }
}

pub(crate) fn parse_kind(kind: &str) -> PyResult<Kind> {
    Ok(match kind {
        "tool" => Kind::Tool,
        "resource" => Kind::Resource,
        "template" => Kind::Template,
        "prompt" => Kind::Prompt,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown kind {other:?} (tool, resource, template or prompt)"
            )))
        }
    })
}
