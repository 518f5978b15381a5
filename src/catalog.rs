//! What the server offers: tools, resources, resource templates and prompts,
//! as the definitions the Python layer registered, with their list results
//! serialised once per protocol revision.

use crate::revision::{self, Revision, REVISIONS};
use crate::uri_template::{self, UriTemplate};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Tool,
    Resource,
    Template,
    Prompt,
    /// completion/complete: not a catalogue section, only a kind of call.
    Completion,
    /// subscriptions/listen: a long-lived notification stream, not a catalogue section.
    Listen,
    /// resources/subscribe and resources/unsubscribe in a session: the session keeps the URI.
    Subscribe,
    Unsubscribe,
    /// tasks/get, tasks/update and tasks/cancel: the method is the call's target.
    Task,
}

impl Kind {
    fn list_key(self) -> &'static str {
        match self {
            Kind::Tool => "tools",
            Kind::Resource => "resources",
            Kind::Template => "resourceTemplates",
            Kind::Prompt => "prompts",
            Kind::Completion => "completions",
            Kind::Listen => "subscriptions",
            Kind::Subscribe | Kind::Unsubscribe => "subscriptions",
            Kind::Task => "tasks",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Tool => "tool",
            Kind::Resource => "resource",
            Kind::Template => "resource template",
            Kind::Prompt => "prompt",
            Kind::Completion => "completion",
            Kind::Listen => "subscription",
            Kind::Subscribe => "subscribe",
            Kind::Unsubscribe => "unsubscribe",
            Kind::Task => "task",
        }
    }
}

/// One registered item. `handle` is the Python side's index for it.
#[derive(Debug)]
struct Entry {
    key: String,
    handle: usize,
    definition: Map<String, Value>,
}

/// A list result (`{"tools":[...]}`) serialised for each revision on first use.
#[derive(Debug, Default)]
struct ListCache([OnceLock<String>; REVISIONS.len()]);

#[derive(Debug)]
struct Section {
    kind: Kind,
    entries: Vec<Entry>,
    by_key: HashMap<String, usize>,
    cache: ListCache,
}

impl Section {
    fn new(kind: Kind) -> Self {
        Section {
            kind,
            entries: Vec::new(),
            by_key: HashMap::new(),
            cache: ListCache::default(),
        }
    }

    fn insert(&mut self, key: String, handle: usize, definition: Map<String, Value>) {
        let entry = Entry {
            key: key.clone(),
            handle,
            definition,
        };
        match self.by_key.get(&key) {
            // Registering a name again replaces it, as re-importing a module would.
            Some(&i) => self.entries[i] = entry,
            None => {
                self.by_key.insert(key, self.entries.len());
                self.entries.push(entry);
            }
        }
        self.cache = ListCache::default();
    }

    fn page_json(&self, revision: &Revision, offset: usize, page_size: usize) -> String {
        self.page_of(
            &self.entries.iter().collect::<Vec<_>>(),
            revision,
            offset,
            page_size,
        )
    }

    /// One page of `entries` (all of them, or those a caller may see).
    fn page_of(
        &self,
        entries: &[&Entry],
        revision: &Revision,
        offset: usize,
        page_size: usize,
    ) -> String {
        let end = if page_size == 0 {
            entries.len()
        } else {
            (offset + page_size).min(entries.len())
        };
        let items: Vec<Value> = entries[offset.min(end)..end]
            .iter()
            .map(|e| {
                Value::Object(
                    e.definition
                        .iter()
                        .filter(|(k, _)| revision.knows_field(k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )
            })
            .collect();
        let mut result = Map::new();
        result.insert(self.kind.list_key().to_string(), Value::Array(items));
        if end < entries.len() {
            result.insert("nextCursor".to_string(), Value::String(encode_cursor(end)));
        }
        serde_json::to_string(&result).expect("JSON values always serialise")
    }

    /// One page of the list result; the first page is serialised once per revision.
    fn list(
        &self,
        revision: &Revision,
        cursor: Option<&str>,
        page_size: usize,
        hidden: &[usize],
    ) -> Result<Cow<'_, str>, String> {
        if hidden
            .iter()
            .any(|h| self.entries.iter().any(|e| e.handle == *h))
        {
            // A caller who may not see everything gets its own pages (never cached).
            let visible: Vec<&Entry> = self
                .entries
                .iter()
                .filter(|e| !hidden.contains(&e.handle))
                .collect();
            let offset = match cursor {
                None => 0,
                Some(c) => match decode_cursor(c) {
                    Some(offset) if offset < visible.len() => offset,
                    _ => return Err(format!("Invalid params: cursor {c:?} is not one this server gave out (or the list changed)")),
                },
            };
            return Ok(Cow::Owned(
                self.page_of(&visible, revision, offset, page_size),
            ));
        }
        match cursor {
            None => Ok(Cow::Borrowed(self.cache.0[revision::index_of(revision)].get_or_init(|| self.page_json(revision, 0, page_size)))),
            Some(c) => match decode_cursor(c) {
                Some(offset) if offset < self.entries.len() => Ok(Cow::Owned(self.page_json(revision, offset, page_size))),
                _ => Err(format!("Invalid params: cursor {c:?} is not one this server gave out (or the list changed)")),
            },
        }
    }
}

/// Cursors are opaque to clients; ours name the offset of the next page.
fn encode_cursor(offset: usize) -> String {
    format!("o{offset:x}")
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    usize::from_str_radix(cursor.strip_prefix('o')?, 16).ok()
}

/// A resources/read target: the handle of the resource, and the template's
/// variables when it was found through a template.
#[derive(Debug, PartialEq)]
pub struct ResourceMatch<'u> {
    pub kind: Kind,
    pub handle: usize,
    pub variables: Vec<(String, &'u str)>,
}

#[derive(Debug)]
pub struct Catalog {
    tools: Section,
    resources: Section,
    templates: Section,
    compiled_templates: Vec<UriTemplate>,
    prompts: Section,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            tools: Section::new(Kind::Tool),
            resources: Section::new(Kind::Resource),
            templates: Section::new(Kind::Template),
            compiled_templates: Vec::new(),
            prompts: Section::new(Kind::Prompt),
        }
    }
}

impl Catalog {
    /// Registers a tool or prompt under `name`, or a resource under its URI
    /// (a template when the URI has `{variables}`). Returns the kind it was filed as.
    pub fn register(
        &mut self,
        kind: Kind,
        key: &str,
        handle: usize,
        definition_json: &str,
    ) -> Result<Kind, String> {
        let definition = match serde_json::from_str::<Value>(definition_json) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(format!(
                    "the definition of {} {key:?} must be a JSON object",
                    kind.name()
                ))
            }
            Err(e) => {
                return Err(format!(
                    "the definition of {} {key:?} is not valid JSON: {e}",
                    kind.name()
                ))
            }
        };
        let kind = match kind {
            Kind::Resource | Kind::Template if uri_template::is_template(key) => Kind::Template,
            Kind::Template => Kind::Resource,
            other => other,
        };
        match kind {
            Kind::Tool => self.tools.insert(key.to_string(), handle, definition),
            Kind::Prompt => self.prompts.insert(key.to_string(), handle, definition),
            Kind::Completion | Kind::Listen | Kind::Subscribe | Kind::Unsubscribe | Kind::Task => {
                return Err(format!(
                    "a {} is not registered in the catalogue",
                    kind.name()
                ))
            }
            Kind::Resource => self.resources.insert(key.to_string(), handle, definition),
            Kind::Template => {
                let compiled = UriTemplate::new(key)?;
                let existing = self.templates.by_key.get(key).copied();
                self.templates.insert(key.to_string(), handle, definition);
                match existing {
                    Some(i) => self.compiled_templates[i] = compiled,
                    None => self.compiled_templates.push(compiled),
                }
            }
        }
        Ok(kind)
    }

    fn section(&self, kind: Kind) -> &Section {
        match kind {
            Kind::Tool => &self.tools,
            Kind::Resource => &self.resources,
            Kind::Template => &self.templates,
            Kind::Prompt => &self.prompts,
            Kind::Completion | Kind::Listen | Kind::Subscribe | Kind::Unsubscribe | Kind::Task => {
                unreachable!("{} is a kind of call, not a catalogue section", kind.name())
            }
        }
    }

    /// The list result for `kind`: all of it (`page_size` 0) or the page at `cursor`.
    /// One page of a list result. Entries whose handles are in `hidden` are
    /// left out (what the caller may not use).
    pub fn list(
        &self,
        kind: Kind,
        revision: &Revision,
        cursor: Option<&str>,
        page_size: usize,
        hidden: &[usize],
    ) -> Result<Cow<'_, str>, String> {
        self.section(kind).list(revision, cursor, page_size, hidden)
    }

    pub fn lookup(&self, kind: Kind, key: &str) -> Option<usize> {
        let section = self.section(kind);
        section.by_key.get(key).map(|&i| section.entries[i].handle)
    }

    pub fn is_empty(&self, kind: Kind) -> bool {
        self.section(kind).entries.is_empty()
    }

    /// Static resources first, then templates in registration order.
    pub fn find_resource<'u>(&self, uri: &'u str) -> Option<ResourceMatch<'u>> {
        if let Some(handle) = self.lookup(Kind::Resource, uri) {
            return Some(ResourceMatch {
                kind: Kind::Resource,
                handle,
                variables: Vec::new(),
            });
        }
        self.compiled_templates
            .iter()
            .zip(&self.templates.entries)
            .find_map(|(t, e)| {
                t.matches(uri).map(|vars| ResourceMatch {
                    kind: Kind::Template,
                    handle: e.handle,
                    variables: vars.into_iter().map(|(n, v)| (n.to_string(), v)).collect(),
                })
            })
    }

    pub fn keys(&self, kind: Kind) -> Vec<&str> {
        self.section(kind)
            .entries
            .iter()
            .map(|e| e.key.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::find;

    #[test]
    fn lists_drop_fields_a_revision_does_not_know() {
        let mut c = Catalog::default();
        c.register(Kind::Tool, "add", 0, r#"{"name":"add","title":"Add","inputSchema":{"type":"object"},"outputSchema":{"type":"object"}}"#).unwrap();
        let old: Value = serde_json::from_str(
            &c.list(Kind::Tool, find("2024-11-05").unwrap(), None, 0, &[])
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            old,
            serde_json::json!({"tools":[{"name":"add","inputSchema":{"type":"object"}}]})
        );
        let new: Value = serde_json::from_str(
            &c.list(Kind::Tool, find("2025-06-18").unwrap(), None, 0, &[])
                .unwrap(),
        )
        .unwrap();
        assert_eq!(new["tools"][0]["title"], "Add");
    }

    #[test]
    fn registering_again_replaces_and_refreshes_the_list() {
        let mut c = Catalog::default();
        let r = find("2025-11-25").unwrap();
        c.register(Kind::Tool, "a", 0, r#"{"name":"a","description":"one"}"#)
            .unwrap();
        assert!(c.list(Kind::Tool, r, None, 0, &[]).unwrap().contains("one"));
        c.register(Kind::Tool, "a", 1, r#"{"name":"a","description":"two"}"#)
            .unwrap();
        assert!(c.list(Kind::Tool, r, None, 0, &[]).unwrap().contains("two"));
        assert_eq!(c.lookup(Kind::Tool, "a"), Some(1));
    }

    #[test]
    fn resources_and_templates_are_filed_by_uri() {
        let mut c = Catalog::default();
        assert_eq!(
            c.register(
                Kind::Resource,
                "test://static",
                0,
                r#"{"uri":"test://static"}"#
            )
            .unwrap(),
            Kind::Resource
        );
        assert_eq!(
            c.register(
                Kind::Resource,
                "greeting://{name}",
                1,
                r#"{"uriTemplate":"greeting://{name}"}"#
            )
            .unwrap(),
            Kind::Template
        );
        assert_eq!(c.find_resource("test://static").unwrap().handle, 0);
        let m = c.find_resource("greeting://ada").unwrap();
        assert_eq!((m.kind, m.handle), (Kind::Template, 1));
        assert_eq!(m.variables, vec![("name".to_string(), "ada")]);
        assert!(c.find_resource("nope://x").is_none());
    }

    #[test]
    fn pages_follow_cursors_to_the_end() {
        let mut c = Catalog::default();
        for i in 0..5 {
            c.register(
                Kind::Prompt,
                &format!("p{i}"),
                i,
                &format!(r#"{{"name":"p{i}"}}"#),
            )
            .unwrap();
        }
        let r = find("2025-11-25").unwrap();
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page: Value =
                serde_json::from_str(&c.list(Kind::Prompt, r, cursor.as_deref(), 2, &[]).unwrap())
                    .unwrap();
            names.extend(
                page["prompts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["name"].as_str().unwrap().to_string()),
            );
            match page.get("nextCursor") {
                Some(next) => cursor = Some(next.as_str().unwrap().to_string()),
                None => break,
            }
        }
        assert_eq!(names, ["p0", "p1", "p2", "p3", "p4"]);
        assert!(c.list(Kind::Prompt, r, Some("garbage"), 2, &[]).is_err());
        assert!(c.list(Kind::Prompt, r, Some("o99"), 2, &[]).is_err());
    }

    #[test]
    fn definitions_must_be_objects() {
        let mut c = Catalog::default();
        assert!(c
            .register(Kind::Tool, "x", 0, "[1]")
            .unwrap_err()
            .contains("JSON object"));
        assert!(c
            .register(Kind::Tool, "x", 0, "{")
            .unwrap_err()
            .contains("not valid JSON"));
    }

    #[test]
    fn hidden_entries_are_left_out_and_pages_stay_whole() {
        let mut c = Catalog::default();
        for (i, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            c.register(
                Kind::Tool,
                name,
                i,
                &format!(r#"{{"name":"{name}","inputSchema":{{"type":"object"}}}}"#),
            )
            .unwrap();
        }
        let r = find("2025-06-18").unwrap();
        let names = |json: &str| -> (Vec<String>, Option<String>) {
            let v: Value = serde_json::from_str(json).unwrap();
            (
                v["tools"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["name"].as_str().unwrap().to_string())
                    .collect(),
                v["nextCursor"].as_str().map(str::to_string),
            )
        };
        let (first, cursor) = names(&c.list(Kind::Tool, r, None, 2, &[1, 3]).unwrap());
        assert_eq!(first, ["a", "c"]);
        let (second, cursor) = names(
            &c.list(Kind::Tool, r, cursor.as_deref(), 2, &[1, 3])
                .unwrap(),
        );
        assert_eq!((second, cursor), (vec!["e".to_string()], None));
        // Everyone else still gets the full, cached list.
        assert_eq!(
            names(&c.list(Kind::Tool, r, None, 0, &[]).unwrap()).0.len(),
            5
        );
    }
}
