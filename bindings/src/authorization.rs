//! Answers of the MCP authorization spec: challenges and resource metadata.

use crate::response::Response;
use django_mcp_core::auth;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// 401 / 403 with the MCP authorization spec's `WWW-Authenticate` challenge.
#[pyfunction]
#[pyo3(signature = (status, resource_metadata, description, scope=None, error=None))]
pub(crate) fn auth_refusal(
    py: Python<'_>,
    status: u16,
    resource_metadata: &str,
    description: &str,
    scope: Option<&str>,
    error: Option<&str>,
) -> PyResult<Response> {
    Response::from_engine(
        py,
        auth::refusal(status, resource_metadata, scope, error, description),
    )
}

/// The RFC 9728 Protected Resource Metadata document (JSON bytes).
#[pyfunction]
#[pyo3(signature = (resource, authorization_servers, scopes, name=None))]
pub(crate) fn resource_metadata<'py>(
    py: Python<'py>,
    resource: &str,
    authorization_servers: Vec<String>,
    scopes: Vec<String>,
    name: Option<&str>,
) -> Bound<'py, PyBytes> {
    PyBytes::new(
        py,
        &auth::resource_metadata(resource, &authorization_servers, &scopes, name),
    )
}
