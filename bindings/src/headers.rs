//! Reading ASGI's `[(name, value), ...]` headers without copying them.

use django_mcp_core::http::{self, Headers};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

/// The values of the headers the engine reads, picked out of ASGI's
/// `[(name, value), ...]`: the bytes objects themselves, not copies.
#[derive(Default)]
pub(crate) struct OwnedHeaders<'py> {
    /// accept, content-type, mcp-protocol-version, host, origin, mcp-method,
    /// mcp-name, mcp-session-id, last-event-id
    values: [Option<Bound<'py, PyBytes>>; 9],
}

/// One header value as text: borrowed when it is UTF-8 (the usual case),
/// else with the bad bytes replaced.
pub(crate) fn header_text<'a>(
    value: &'a Option<Bound<'_, PyBytes>>,
) -> Option<std::borrow::Cow<'a, str>> {
    value.as_ref().map(|b| {
        let bytes = b.as_bytes();
        match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        }
    })
}

/// Walks ASGI's `[(name, value), ...]` (a list of tuples, or any iterable of
/// two-item sequences), handing `visit` each name and value until it returns false.
pub(crate) fn each_header<'py>(
    headers: &Bound<'py, PyAny>,
    mut visit: impl FnMut(&Bound<'py, PyAny>, Bound<'py, PyAny>) -> PyResult<bool>,
) -> PyResult<()> {
    if let Ok(list) = headers.cast::<PyList>() {
        // The usual shape: tuples, read without the generic item protocol.
        for item in list.iter() {
            let more = match item.cast::<PyTuple>() {
                Ok(pair) if pair.len() == 2 => {
                    visit(&*pair.get_borrowed_item(0)?, pair.get_item(1)?)?
                }
                _ => visit(&item.get_item(0)?, item.get_item(1)?)?,
            };
            if !more {
                break;
            }
        }
        return Ok(());
    }
    for item in headers.try_iter()? {
        let item = item?;
        if !visit(&item.get_item(0)?, item.get_item(1)?)? {
            break;
        }
    }
    Ok(())
}

impl<'py> OwnedHeaders<'py> {
    pub(crate) fn from_asgi(headers: &Bound<'py, PyAny>) -> PyResult<OwnedHeaders<'py>> {
        let mut h = OwnedHeaders::default();
        each_header(headers, |name, value| {
            if let Some(slot) = Self::slot(name.cast::<PyBytes>()?.as_bytes()) {
                h.values[slot] = Some(value.cast_into::<PyBytes>()?);
            }
            Ok(true)
        })?;
        Ok(h)
    }

    fn slot(name: &[u8]) -> Option<usize> {
        Some(match name {
            b"accept" => 0,
            b"content-type" => 1,
            b"mcp-protocol-version" => 2,
            b"host" => 3,
            b"origin" => 4,
            b"mcp-method" => 5,
            b"mcp-name" => 6,
            b"mcp-session-id" => 7,
            b"last-event-id" => 8,
            _ => return None,
        })
    }

    pub(crate) fn texts(&self) -> [Option<std::borrow::Cow<'_, str>>; 9] {
        std::array::from_fn(|i| header_text(&self.values[i]))
    }
}

pub(crate) fn view<'a>(t: &'a [Option<std::borrow::Cow<'a, str>>; 9]) -> Headers<'a> {
    Headers {
        accept: t[0].as_deref(),
        content_type: t[1].as_deref(),
        protocol_version: t[2].as_deref(),
        host: t[3].as_deref(),
        origin: t[4].as_deref(),
        mcp_method: t[5].as_deref(),
        mcp_name: t[6].as_deref(),
        session_id: t[7].as_deref(),
        last_event_id: t[8].as_deref(),
    }
}

/// The value of the first ASGI header called `name` (lower-case bytes), or None.
#[pyfunction]
pub(crate) fn header<'py>(
    headers: &Bound<'py, PyAny>,
    name: &[u8],
) -> PyResult<Option<Bound<'py, PyAny>>> {
    first_header(headers, name)
}

/// Whether the ASGI headers' Content-Length declares more than `limit` bytes:
/// the body-size check before a byte of the body is read, one call and no
/// value handed to Python.
#[pyfunction]
pub(crate) fn declares_more_than(headers: &Bound<'_, PyAny>, limit: u64) -> PyResult<bool> {
    Ok(first_header(headers, b"content-length")?.is_some_and(|v| {
        v.cast::<PyBytes>()
            .is_ok_and(|b| http::declares_more_than(b.as_bytes(), limit))
    }))
}

pub(crate) fn first_header<'py>(
    headers: &Bound<'py, PyAny>,
    name: &[u8],
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let mut found = None;
    each_header(headers, |n, value| {
        if n.cast::<PyBytes>().is_ok_and(|n| n.as_bytes() == name) {
            found = Some(value);
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(found)
}
