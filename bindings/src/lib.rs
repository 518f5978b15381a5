//! The `django_mcp._core` extension module: thin wrappers that move bytes and
//! strings between Python and the engine. No protocol rules live here.
//! One file per Python type (`engine.rs`, `plan.rs`, `call.rs`, ...) or group
//! of module functions (`events.rs`, `messages.rs`, ...); this file registers them.

mod arg_spec;
mod authorization;
mod call;
mod codings;
mod engine;
mod events;
mod headers;
mod kind;
mod messages;
mod plan;
mod response;
mod route;

use crate::arg_spec::ArgSpec;
use crate::authorization::{auth_refusal, resource_metadata};
use crate::call::Call;
use crate::codings::Codings;
use crate::engine::Engine;
use crate::events::{event_id, parse_event_id, sse_event, sse_named, sse_priming};
use crate::headers::{declares_more_than, header};
use crate::messages::{notification, request};
use crate::plan::Plan;
use crate::response::Response;
use crate::route::Route;
use django_mcp_core::{jsonrpc, revision};
use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_class::<Plan>()?;
    m.add_class::<Call>()?;
    m.add_class::<Response>()?;
    m.add_class::<Route>()?;
    m.add_class::<ArgSpec>()?;
    m.add_class::<Codings>()?;
    m.add_function(wrap_pyfunction!(header, m)?)?;
    m.add_function(wrap_pyfunction!(declares_more_than, m)?)?;
    m.add_function(wrap_pyfunction!(notification, m)?)?;
    m.add_function(wrap_pyfunction!(sse_event, m)?)?;
    m.add_function(wrap_pyfunction!(request, m)?)?;
    m.add_function(wrap_pyfunction!(sse_priming, m)?)?;
    m.add_function(wrap_pyfunction!(auth_refusal, m)?)?;
    m.add_function(wrap_pyfunction!(resource_metadata, m)?)?;
    m.add_function(wrap_pyfunction!(sse_named, m)?)?;
    m.add_function(wrap_pyfunction!(event_id, m)?)?;
    m.add_function(wrap_pyfunction!(parse_event_id, m)?)?;
    m.add(
        "SUPPORTED_PROTOCOL_VERSIONS",
        revision::REVISIONS
            .iter()
            .map(|r| r.version)
            .collect::<Vec<_>>(),
    )?;
    m.add("LOG_LEVELS", django_mcp_core::engine::LOG_LEVELS.to_vec())?;
    m.add("INVALID_PARAMS", jsonrpc::INVALID_PARAMS)?;
    m.add("INTERNAL_ERROR", jsonrpc::INTERNAL_ERROR)?;
    m.add("RESOURCE_NOT_FOUND", jsonrpc::RESOURCE_NOT_FOUND)?;
    m.add("REQUEST_CANCELLED", jsonrpc::REQUEST_CANCELLED)?;
    m.add("RATE_LIMITED", jsonrpc::RATE_LIMITED)?;
    m.add(
        "MISSING_REQUIRED_CLIENT_CAPABILITY",
        jsonrpc::MISSING_REQUIRED_CLIENT_CAPABILITY,
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
