//! `Engine`: the protocol engine of one server, behind the Python API.

use crate::arg_spec::ArgSpec;
use crate::headers::{view, OwnedHeaders};
use crate::kind::{kind_name, parse_kind};
use crate::plan::outcome_to_py;
use crate::response::Response;
use django_mcp_core::engine::{self, Options, ServerInfo};
use django_mcp_core::http::Headers;
use django_mcp_core::revision;
use django_mcp_core::security::HostPolicy;
use django_mcp_core::session::Lookup;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::RwLock;

pub(crate) fn known_revision(version: &str) -> PyResult<&'static revision::Revision> {
    revision::find(version)
        .ok_or_else(|| PyValueError::new_err(format!("unknown protocol version {version:?}")))
}

pub(crate) fn lookup<'a>(
    headers: &Headers<'_>,
    session: Option<&'a (String, String)>,
) -> PyResult<Lookup<'a>> {
    Ok(match (headers.session_id, session) {
        (None, _) => Lookup::Absent,
        (Some(_), None) => Lookup::Unknown,
        (Some(_), Some((version, path))) => Lookup::Known {
            version: known_revision(version)?,
            path,
        },
    })
}

/// The protocol engine for one server: its identity, options and catalog.
#[pyclass(frozen, module = "django_mcp._core")]
pub struct Engine {
    inner: RwLock<engine::Engine>,
    /// By handle: how to read a function's arguments without the validator, if it can be.
    pub(crate) arg_specs: RwLock<Vec<Option<Py<ArgSpec>>>>,
}

/// The id and protocol version of a session the caller must create.
pub(crate) type SessionToCreate = Option<(String, &'static str)>;
/// What resources/read runs for a URI: (kind, handle, [(variable, value), ...]).
pub(crate) type ResourceMatch = (&'static str, usize, Vec<(String, String)>);

#[pymethods]
impl Engine {
    // One argument per keyword argument of the Python constructor.
    #[allow(clippy::too_many_arguments)]
    #[new]
    #[pyo3(signature = (name, version, *, title=None, instructions=None, json_response=false, allowed_hosts=None, allowed_origins=Vec::new(), page_size=0, cache_ttl_ms=0, cache_public=false, tasks=false, extensions=Vec::new()))]
    fn new(
        name: String,
        version: String,
        title: Option<String>,
        instructions: Option<String>,
        json_response: bool,
        allowed_hosts: Option<Vec<String>>,
        allowed_origins: Vec<String>,
        page_size: usize,
        cache_ttl_ms: u64,
        cache_public: bool,
        tasks: bool,
        extensions: Vec<(String, String)>,
    ) -> Engine {
        // No allowed_hosts given: no DNS-rebinding check (e.g. stdio, in-process tests).
        let hosts = HostPolicy {
            enabled: allowed_hosts.is_some(),
            allowed_hosts: allowed_hosts.unwrap_or_default(),
            allowed_origins,
        };
        Engine {
            inner: RwLock::new(engine::Engine::new(
                ServerInfo {
                    name,
                    title,
                    version,
                    instructions,
                },
                Options {
                    json_response,
                    hosts,
                    page_size,
                    cache_ttl_ms,
                    cache_public,
                    tasks,
                    extensions,
                },
            )),
            arg_specs: RwLock::new(Vec::new()),
        }
    }

    /// Adds a tool, resource (or template) or prompt. `definition` is the JSON
    /// sent in list results; `handle` is what calls will carry; `arguments`
    /// reads a tool's or prompt's plain arguments into `Call.kwargs`. Returns
    /// the kind it was filed as.
    #[pyo3(signature = (kind, key, handle, definition, arguments=None))]
    fn register(
        &self,
        kind: &str,
        key: &str,
        handle: usize,
        definition: &str,
        arguments: Option<Py<ArgSpec>>,
    ) -> PyResult<&'static str> {
        let kind = parse_kind(kind)?;
        let filed = self
            .inner
            .write()
            .expect("engine lock poisoned")
            .catalog
            .register(kind, key, handle, definition)
            .map_err(PyValueError::new_err)?;
        if let Some(spec) = arguments {
            let mut specs = self.arg_specs.write().expect("engine lock poisoned");
            if specs.len() <= handle {
                specs.resize_with(handle + 1, || None);
            }
            specs[handle] = Some(spec);
        }
        Ok(kind_name(filed))
    }

    /// One request to the MCP endpoint: a finished Response or a Plan to run.
    /// `hidden`: handles of what the caller may not see in list results.
    #[pyo3(signature = (method, headers, body, hidden=Vec::new()))]
    fn handle<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        headers: &Bound<'py, PyAny>,
        body: &[u8],
        hidden: Vec<usize>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let owned = OwnedHeaders::from_asgi(headers)?;
        let texts = owned.texts();
        let engine = self.inner.read().expect("engine lock poisoned");
        let outcome = engine.handle(method, &view(&texts), body, &hidden);
        outcome_to_py(py, self, &engine, outcome)
    }

    /// One request to the stateful endpoint. `session` is `(version, path)` of
    /// the live session the request's Mcp-Session-Id names, or None when it
    /// sent none or the store does not know it. Returns `(Response | Plan,
    /// (new_id, version) | None)`: a session to create before answering.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (method, headers, body, session, path, seed, hidden=Vec::new()))]
    fn handle_stateful<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        headers: &Bound<'py, PyAny>,
        body: &[u8],
        session: Option<(String, String)>,
        path: &str,
        seed: &[u8],
        hidden: Vec<usize>,
    ) -> PyResult<(Bound<'py, PyAny>, SessionToCreate)> {
        let owned = OwnedHeaders::from_asgi(headers)?;
        let texts = owned.texts();
        let view = view(&texts);
        let lookup = lookup(&view, session.as_ref())?;
        let engine = self.inner.read().expect("engine lock poisoned");
        let (outcome, created) =
            engine.handle_stateful(method, &view, body, lookup, path, seed, &hidden);
        Ok((
            outcome_to_py(py, self, &engine, outcome)?,
            created.map(|n| (n.id, n.version)),
        ))
    }

    /// GET `<base>/sse`: `(Response, new_session_id | None)`.
    fn open_sse(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyAny>,
        seed: &[u8],
    ) -> PyResult<(Response, Option<String>)> {
        let owned = OwnedHeaders::from_asgi(headers)?;
        let texts = owned.texts();
        let engine = self.inner.read().expect("engine lock poisoned");
        let (r, id) = engine.open_sse(&view(&texts), seed);
        Ok((Response::from_engine(py, r)?, id))
    }

    /// POST `<base>/messages/`: `(Response | Plan, negotiated_version | None)`.
    #[pyo3(signature = (headers, body, session_id, session, path, hidden=Vec::new()))]
    #[allow(clippy::too_many_arguments)]
    fn handle_sse_post<'py>(
        &self,
        py: Python<'py>,
        headers: &Bound<'py, PyAny>,
        body: &[u8],
        session_id: Option<&str>,
        session: Option<(String, String)>,
        path: &str,
        hidden: Vec<usize>,
    ) -> PyResult<(Bound<'py, PyAny>, Option<&'static str>)> {
        let owned = OwnedHeaders::from_asgi(headers)?;
        let texts = owned.texts();
        let view = view(&texts);
        let lookup = match &session {
            None => Lookup::Unknown,
            Some((version, opened_at)) => Lookup::Known {
                version: known_revision(version)?,
                path: opened_at,
            },
        };
        let engine = self.inner.read().expect("engine lock poisoned");
        let (outcome, negotiated) =
            engine.handle_sse_post(&view, body, session_id, lookup, path, &hidden);
        Ok((outcome_to_py(py, self, &engine, outcome)?, negotiated))
    }

    /// The 403 the MCP endpoint gives a request whose Host or Origin is not
    /// allowed (DNS-rebinding protection), or None. For answers built before
    /// the endpoint sees the request (401 challenges, resource metadata),
    /// whose URLs come from the Host header.
    fn host_refusal(
        &self,
        py: Python<'_>,
        headers: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Response>> {
        let owned = OwnedHeaders::from_asgi(headers)?;
        let texts = owned.texts();
        let view = view(&texts);
        let engine = self.inner.read().expect("engine lock poisoned");
        match engine.options.hosts.check(view.host, view.origin) {
            Ok(()) => Ok(None),
            Err(refused) => Response::from_engine(py, refused).map(Some),
        }
    }

    fn health(&self, py: Python<'_>, method: &str) -> PyResult<Response> {
        let engine = self.inner.read().expect("engine lock poisoned");
        Response::from_engine(py, engine.health(method))
    }

    /// The list result (`{"tools": [...]}`) a client of `version` would get.
    #[pyo3(signature = (kind, version="2025-11-25"))]
    fn list(&self, kind: &str, version: &str) -> PyResult<String> {
        let kind = parse_kind(kind)?;
        let revision = revision::find(version).ok_or_else(|| {
            PyValueError::new_err(format!("unknown protocol version {version:?}"))
        })?;
        let engine = self.inner.read().expect("engine lock poisoned");
        engine
            .catalog
            .list(kind, revision, None, 0, &[])
            .map(|c| c.into_owned())
            .map_err(PyValueError::new_err)
    }

    /// What resources/read would run for `uri`: (kind, handle, variables), or None.
    fn find_resource(&self, uri: &str) -> Option<ResourceMatch> {
        let engine = self.inner.read().expect("engine lock poisoned");
        engine.catalog.find_resource(uri).map(|m| {
            (
                kind_name(m.kind),
                m.handle,
                m.variables
                    .into_iter()
                    .map(|(n, v)| (n, v.to_string()))
                    .collect(),
            )
        })
    }

    /// The initialize result a client asking for `version` would get (raw JSON).
    fn initialize_result(&self, version: &str) -> String {
        let engine = self.inner.read().expect("engine lock poisoned");
        engine.initialize_result(revision::negotiate(version))
    }
}
