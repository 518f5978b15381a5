//! The sans-IO Model Context Protocol engine behind django-mcp.
//!
//! The modules below hold every protocol rule and are tested with plain
//! values; the `bindings/` crate wires them into the `django_mcp._core`
//! extension module.

pub mod args;
pub mod auth;
pub mod catalog;
pub mod engine;
pub mod envelope;
pub mod http;
pub mod jsonrpc;
pub mod revision;
pub mod route;
pub mod security;
pub mod session;
pub mod sse;
pub mod tasks;
pub mod uri_template;
