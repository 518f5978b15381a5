// The MCP explorer: speaks MCP (Streamable HTTP) to the endpoint named by the
// page, with the browser's session cookie and the CSRF token, and builds a form
// for each tool, resource template and prompt from what the server lists.
// Plain DOM, no framework; everything the server sends is shown as text.
"use strict";

(function () {
  const root = document.getElementById("mcp-explorer");
  if (!root) return;

  // ---- A small MCP client -------------------------------------------------

  class RpcError extends Error {
    constructor(message, code, data, status) {
      super(message);
      this.code = code;
      this.data = data;
      this.status = status;
    }
  }

  class McpClient {
    constructor(endpoint, csrfToken, protocolVersion) {
      this.endpoint = endpoint;
      this.csrfToken = csrfToken;
      this.protocolVersion = protocolVersion;
      this.sessionId = null;
      this.nextId = 0;
    }

    headers() {
      const headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "X-CSRFToken": this.csrfToken,
        "MCP-Protocol-Version": this.protocolVersion,
      };
      if (this.sessionId) headers["Mcp-Session-Id"] = this.sessionId;
      return headers;
    }

    async post(message, signal) {
      const response = await fetch(this.endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: this.headers(),
        body: JSON.stringify(message),
        signal,
      });
      if (response.ok) return response;
      let error = null;
      try {
        const body = await response.json();
        error = (Array.isArray(body) ? body[0] : body).error;
      } catch (ignored) { /* not JSON */ }
      const status = `HTTP ${response.status}${response.statusText ? " " + response.statusText : ""}`;
      if (error) throw new RpcError(`${error.message} (${status})`, error.code, error.data, response.status);
      throw new RpcError(status, null, null, response.status);
    }

    // Sends one request; `onMessage` sees every notification (progress, logs)
    // that arrives on the response's event stream before the answer.
    async request(method, params, { onMessage, signal, id } = {}) {
      id = id ?? ++this.nextId;
      const message = { jsonrpc: "2.0", id, method, params: params || {} };
      let response;
      try {
        response = await this.post(message, signal);
      } catch (e) {
        // A session the server no longer knows (expired, or the server restarted): open a new one, once.
        if (!(e instanceof RpcError && e.status === 404 && this.sessionId && method !== "initialize")) throw e;
        this.sessionId = null;
        await this.initialize();
        response = await this.post(message, signal);
      }
      if (method === "initialize") this.sessionId = response.headers.get("Mcp-Session-Id");
      const type = response.headers.get("Content-Type") || "";
      if (type.startsWith("text/event-stream")) {
        for await (const message of eventStream(response)) {
          if (message.id === id && !message.method) return answer(message);
          if (onMessage) onMessage(message);
        }
        throw new RpcError("The event stream ended without an answer.", null, null);
      }
      const body = await response.json();
      const messages = Array.isArray(body) ? body : [body];
      const final = messages.find((m) => m.id === id && !m.method);
      if (onMessage) messages.filter((m) => m !== final).forEach(onMessage);
      if (!final) throw new RpcError("The response held no answer.", null, null);
      return answer(final);
    }

    async notify(method, params) {
      await this.post({ jsonrpc: "2.0", method, params: params || {} });
    }

    async initialize() {
      const result = await this.request("initialize", {
        protocolVersion: this.protocolVersion,
        capabilities: {},
        clientInfo: { name: "django-mcp-explorer", title: "MCP explorer", version: "1" },
      });
      this.protocolVersion = result.protocolVersion || this.protocolVersion;
      await this.notify("notifications/initialized");
      return result;
    }

    async listAll(method, key) {
      const items = [];
      let cursor;
      do {
        const result = await this.request(method, cursor ? { cursor } : {});
        items.push(...(result[key] || []));
        cursor = result.nextCursor;
      } while (cursor);
      return items;
    }
  }

  function answer(message) {
    if (message.error) throw new RpcError(message.error.message, message.error.code, message.error.data);
    return message.result;
  }

  // The JSON messages of an event stream, as they arrive.
  async function* eventStream(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data.trim()) yield JSON.parse(data);
      }
    }
  }

  // ---- DOM helpers --------------------------------------------------------

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else if (name in el && typeof value !== "string") el[name] = value;
      else el.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  const pretty = (value) => JSON.stringify(value, null, 2);
  const MIME = /^[\w.+-]+\/[\w.+-]+$/;

  function schemaBlock(label, schema) {
    return h("details", { class: "schema" }, h("summary", {}, label), h("pre", {}, pretty(schema)));
  }

  // ---- Forms from JSON Schema ----------------------------------------------

  // Follows $ref (to $defs / definitions of the tool's schema) and one-member
  // allOf; `nullable` says whether null is one of the choices.
  function resolve(schema, rootSchema) {
    let s = schema || {};
    let nullable = false;
    for (let depth = 0; depth < 32; depth++) {
      if (s.$ref) {
        const { $ref, ...rest } = s;
        s = { ...lookup(rootSchema, $ref), ...rest };
      } else if (Array.isArray(s.allOf) && s.allOf.length === 1) {
        const { allOf, ...rest } = s;
        s = { ...allOf[0], ...rest };
      } else if (Array.isArray(s.anyOf || s.oneOf)) {
        const choices = s.anyOf || s.oneOf;
        const others = choices.filter((c) => c.type !== "null");
        if (others.length !== 1) break;
        nullable = nullable || others.length < choices.length;
        const { anyOf, oneOf, ...rest } = s;
        s = { ...others[0], ...rest };
      } else break;
    }
    if (Array.isArray(s.type)) {
      const types = s.type.filter((t) => t !== "null");
      nullable = nullable || types.length < s.type.length;
      s = { ...s, type: types.length === 1 ? types[0] : types };
    }
    return { schema: s, nullable };
  }

  function lookup(rootSchema, ref) {
    if (!ref.startsWith("#/")) return {};
    let node = rootSchema;
    for (const part of ref.slice(2).split("/")) {
      node = node && node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return node || {};
  }

  function typeLabel(s) {
    if (s.enum) return "one of";
    if (s.type === "array") return "list";
    return Array.isArray(s.type) ? s.type.join(" | ") : s.type || "JSON";
  }

  // A field: its element, and read() giving its value or undefined (left out).
  function buildField(rawSchema, rootSchema, path, label, required, initial) {
    const { schema } = resolve(rawSchema, rootSchema);
    const value = initial !== undefined ? initial : schema.default;
    const control = buildControl(schema, rootSchema, path, required, value, label);
    if (control.composite) {
      control.element.dataset.path = path;
      return control;
    }
    const id = "f-" + Math.random().toString(36).slice(2);
    control.input.id = id;
    const description = schema.description || ownTitle(schema, label);
    const element = h(
      "div",
      { class: "field", "data-path": path },
      h(
        "label",
        { for: id },
        h("span", { class: "name" }, label),
        required ? h("span", { class: "required", title: "required" }, "*") : null,
        h("span", { class: "type" }, typeLabel(schema)),
      ),
      control.input,
      description ? h("p", { class: "help" }, description) : null,
      h("p", { class: "field-error", role: "alert" }),
    );
    return { element, read: control.read };
  }

  // A schema's title, unless it only repeats the field's name (as generated titles do).
  function ownTitle(schema, label) {
    const plain = (text) => String(text || "").replace(/[_\s]+/g, "").toLowerCase();
    return schema.title && plain(schema.title) !== plain(label) ? schema.title : "";
  }

  function buildControl(schema, rootSchema, path, required, value, label) {
    if (Array.isArray(schema.enum)) return enumControl(schema.enum, required, value);
    if (schema.const !== undefined) {
      return { input: h("input", { type: "text", value: pretty(schema.const), disabled: true }), read: () => schema.const };
    }
    switch (schema.type) {
      case "boolean":
        return booleanControl(required, value);
      case "integer":
      case "number": {
        const input = h("input", {
          type: "number",
          step: schema.type === "integer" ? "1" : "any",
          value: value === undefined || value === null ? "" : String(value),
          placeholder: placeholder(schema),
        });
        return { input, read: () => (input.value.trim() === "" ? undefined : Number(input.value)) };
      }
      case "string": {
        const long = schema.format === "textarea" || (schema.maxLength || 0) > 200;
        const input = long
          ? h("textarea", { rows: 3 }, value ?? "")
          : h("input", { type: "text", value: value ?? "", placeholder: placeholder(schema) });
        return { input, read: () => (input.value === "" ? undefined : input.value) };
      }
      case "object":
        if (schema.properties) return objectControl(schema, rootSchema, path, required, value, label);
        break;
      case "array":
        if (schema.items && !Array.isArray(schema.items)) {
          return arrayControl(schema, rootSchema, path, required, value, label);
        }
        break;
      default:
        if (!schema.type && schema.properties) return objectControl(schema, rootSchema, path, required, value, label);
    }
    return jsonControl(value);
  }

  function placeholder(schema) {
    const hints = [];
    if (schema.format) hints.push(schema.format);
    if (schema.minimum !== undefined) hints.push(`≥ ${schema.minimum}`);
    if (schema.maximum !== undefined) hints.push(`≤ ${schema.maximum}`);
    if (schema.pattern) hints.push(`/${schema.pattern}/`);
    return hints.join(", ") || null;
  }

  function enumControl(choices, required, value) {
    const select = h(
      "select",
      {},
      required && value !== undefined ? null : h("option", { value: "" }, "—"),
      choices.map((choice, i) =>
        h("option", { value: String(i), selected: pretty(choice) === pretty(value) }, typeof choice === "string" ? choice : pretty(choice)),
      ),
    );
    return { input: select, read: () => (select.value === "" ? undefined : choices[Number(select.value)]) };
  }

  function booleanControl(required, value) {
    if (required || typeof value === "boolean") {
      const box = h("input", { type: "checkbox", checked: value === true });
      return { input: box, read: () => box.checked };
    }
    const select = h("select", {}, h("option", { value: "" }, "—"), h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"));
    return { input: select, read: () => (select.value === "" ? undefined : select.value === "true") };
  }

  function jsonControl(value) {
    const area = h("textarea", { rows: 3, class: "json", placeholder: "JSON" }, value === undefined ? "" : pretty(value));
    return {
      input: area,
      read: () => {
        if (area.value.trim() === "") return undefined;
        try {
          return JSON.parse(area.value);
        } catch (e) {
          throw new FieldError(area, "Not valid JSON: " + e.message);
        }
      },
    };
  }

  class FieldError extends Error {
    constructor(input, message) {
      super(message);
      this.input = input;
    }
  }

  // The legend of a nested object or list: its name, starred when required
  // (items of a list are named `stops[0]` and always there).
  function legend(label, required, type) {
    return h(
      "legend",
      {},
      h("span", { class: "name" }, label),
      required && !label.endsWith("]") ? h("span", { class: "required", title: "required" }, "*") : null,
      type ? h("span", { class: "type" }, type) : null,
    );
  }

  function objectControl(schema, rootSchema, path, required, value, label) {
    const needed = new Set(schema.required || []);
    const children = Object.entries(schema.properties).map(([key, child]) => [
      key,
      buildField(child, rootSchema, path ? `${path}.${key}` : key, key, needed.has(key), value ? value[key] : undefined),
    ]);
    // The arguments themselves are the form; nested objects get a frame.
    const element = path
      ? h(
          "fieldset",
          { class: "object" },
          legend(label, required),
          schema.description || ownTitle(schema, label) ? h("p", { class: "help" }, schema.description || ownTitle(schema, label)) : null,
          children.map(([, field]) => field.element),
          h("p", { class: "field-error", role: "alert" }),
        )
      : h("div", { class: "arguments" }, children.map(([, field]) => field.element));
    const read = () => {
      const result = {};
      for (const [key, field] of children) {
        const v = field.read();
        if (v !== undefined) result[key] = v;
      }
      return !required && path && Object.keys(result).length === 0 ? undefined : result;
    };
    return { composite: true, element, read };
  }

  function arrayControl(schema, rootSchema, path, required, value, label) {
    const rows = [];
    const list = h("ol", { class: "array-items" });
    const renumber = () =>
      rows.forEach((row, i) => {
        row.field.element.dataset.path = `${path}.${i}`;
        const name = row.field.element.querySelector(":scope > label .name, :scope > legend .name");
        if (name) name.textContent = `${label}[${i}]`;
      });
    const add = (initial) => {
      const i = rows.length;
      const field = buildField(schema.items, rootSchema, `${path}.${i}`, `${label}[${i}]`, true, initial);
      const row = { field };
      row.element = h(
        "li",
        {},
        field.element,
        h("button", {
          type: "button",
          class: "remove",
          onclick: () => {
            rows.splice(rows.indexOf(row), 1);
            row.element.remove();
            renumber();
          },
        }, "Remove"),
      );
      rows.push(row);
      list.append(row.element);
    };
    (Array.isArray(value) ? value : []).forEach(add);
    const element = h(
      "fieldset",
      { class: "array" },
      legend(label, required, "list"),
      schema.description || ownTitle(schema, label) ? h("p", { class: "help" }, schema.description || ownTitle(schema, label)) : null,
      list,
      h("button", { type: "button", class: "add", onclick: () => add(undefined) }, "Add item"),
      h("p", { class: "field-error", role: "alert" }),
    );
    const read = () => {
      const values = rows.map((row) => {
        const v = row.field.read();
        return v === undefined ? null : v;
      });
      return values.length === 0 && !required ? undefined : values;
    };
    return { composite: true, element, read };
  }

  // ---- Errors next to the field they name ------------------------------------

  // "Invalid arguments for tool move: point.x: Input should be ...; dx: ..."
  function fieldErrors(message) {
    const found = /^Invalid arguments for (?:tool|prompt) [^:]+: ([\s\S]*)$/.exec(message || "");
    if (!found) return null;
    return found[1].split("; ").map((part) => {
      const colon = part.indexOf(": ");
      return colon < 0 ? { path: "", text: part } : { path: part.slice(0, colon), text: part.slice(colon + 2) };
    });
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((p) => (p.textContent = ""));
    form.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
  }

  // Shows each error beside its field (or the nearest enclosing one); returns
  // the errors that name no field of the form.
  function placeErrors(form, errors) {
    const rest = [];
    for (const { path, text } of errors) {
      let target = null;
      for (let p = path; p && !target; p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "") {
        target = [...form.querySelectorAll("[data-path]")].find((el) => el.dataset.path === p);
      }
      const slot = target && target.querySelector(":scope > .field-error");
      if (!slot) {
        rest.push(path ? `${path}: ${text}` : text);
        continue;
      }
      slot.textContent = slot.textContent ? `${slot.textContent}; ${text}` : text;
      target.classList.add("invalid");
    }
    return rest;
  }

  // ---- Showing results --------------------------------------------------------

  function renderContent(item) {
    switch (item.type) {
      case "text":
        return h("pre", { class: "text" }, item.text);
      case "image":
      case "audio": {
        if (!MIME.test(item.mimeType || "")) return h("pre", {}, pretty(item));
        const src = `data:${item.mimeType};base64,${item.data}`;
        return item.type === "image"
          ? h("img", { src, alt: `image (${item.mimeType})`, class: "image" })
          : h("audio", { src, controls: true });
      }
      case "resource_link":
        return h("p", { class: "link" }, "Resource link ", h("code", {}, item.uri), item.name ? ` (${item.name})` : "");
      case "resource":
        return renderResourceContents(item.resource);
      default:
        return h("pre", {}, pretty(item));
    }
  }

  function renderResourceContents(contents) {
    const head = h("p", { class: "uri" }, h("code", {}, contents.uri), contents.mimeType ? ` · ${contents.mimeType}` : "");
    if (contents.text !== undefined) return h("div", { class: "contents" }, head, h("pre", { class: "text" }, contents.text));
    const mime = contents.mimeType || "application/octet-stream";
    if (mime.startsWith("image/") && MIME.test(mime)) {
      return h("div", { class: "contents" }, head, h("img", { src: `data:${mime};base64,${contents.blob}`, alt: contents.uri, class: "image" }));
    }
    const size = Math.floor(((contents.blob || "").length * 3) / 4);
    return h("div", { class: "contents" }, head, h("p", {}, `${size} bytes of binary data`));
  }

  function renderError(error) {
    const code = error.code !== null && error.code !== undefined ? ` (${error.code})` : "";
    return h("div", { class: "error" }, h("strong", {}, `Error${code}: `), error.message, error.data !== undefined && error.data !== null ? h("pre", {}, pretty(error.data)) : null);
  }

  // Where one call's progress, logs and result appear.
  class Output {
    constructor(container) {
      this.container = container;
      this.container.replaceChildren();
      this.progress = null;
      this.log = null;
    }
    onMessage(message) {
      if (message.method === "notifications/progress") this.showProgress(message.params || {});
      else if (message.method === "notifications/message") this.addLog(message.params || {});
      else if (message.method) this.addLog({ level: "notice", logger: "server", data: message.id !== undefined ? `asked ${message.method} (the explorer does not answer server requests)` : `${message.method} ${pretty(message.params || {})}` });
    }
    showProgress({ progress, total, message }) {
      if (!this.progress) {
        this.progress = { bar: h("progress", {}), text: h("span", { class: "progress-message" }) };
        this.container.append(h("div", { class: "progress" }, this.progress.bar, this.progress.text));
      }
      if (total) {
        this.progress.bar.max = total;
        this.progress.bar.value = progress;
      } else this.progress.bar.removeAttribute("value");
      this.progress.text.textContent = [message, total ? `${progress}/${total}` : `${progress}`].filter(Boolean).join(" · ");
    }
    addLog({ level, logger, data }) {
      if (!this.log) {
        this.log = h("ol", { class: "log" });
        this.container.append(h("div", { class: "log-box" }, h("h4", {}, "Notifications"), this.log));
      }
      const text = typeof data === "string" ? data : pretty(data);
      this.log.append(h("li", { class: `level-${level}` }, h("span", { class: "level" }, level), logger ? h("span", { class: "logger" }, logger) : null, text));
    }
    show(...nodes) {
      this.container.append(...nodes);
    }
  }

  function renderToolResult(result, elapsed) {
    const parts = [h("h4", {}, result.isError ? "The tool reported an error" : "Result", h("span", { class: "elapsed" }, ` ${elapsed} ms`))];
    const content = (result.content || []).map(renderContent);
    parts.push(h("div", { class: result.isError ? "content error" : "content" }, content));
    if (result.structuredContent !== undefined) {
      parts.push(h("h4", {}, "Structured content"), h("pre", { class: "structured" }, pretty(result.structuredContent)));
    }
    return h("div", { class: "result" }, parts);
  }

  // ---- The page -----------------------------------------------------------------

  const client = new McpClient(root.dataset.endpoint, root.dataset.csrftoken, root.dataset.protocolVersion);
  const status = document.getElementById("status");
  let callCounter = 0;

  function section(id) {
    const el = document.getElementById(id);
    return { el, items: el.querySelector(".items") };
  }

  function card(kind, name, title, description, badges, body) {
    return h(
      "details",
      { class: `item ${kind}`, "data-kind": kind, "data-name": name },
      h(
        "summary",
        {},
        h("code", { class: "item-name" }, name),
        title && title !== name ? h("span", { class: "item-title" }, title) : null,
        (badges || []).map((b) => h("span", { class: "badge" }, b)),
        description ? h("span", { class: "summary-description" }, description.split("\n")[0]) : null,
      ),
      h("div", { class: "item-body" }, description ? h("p", { class: "description" }, description) : null, body),
    );
  }

  // A form whose fields come from `fields()`, calling `run(values, output, signal)`.
  function callForm(fieldsRoot, label, run) {
    const output = h("div", { class: "output", "aria-live": "polite" });
    const submit = h("button", { type: "submit", class: "run" }, label);
    const cancel = h("button", { type: "button", class: "cancel", hidden: true }, "Cancel");
    const formError = h("p", { class: "form-error field-error", role: "alert" });
    const form = h("form", { class: "call", novalidate: true }, fieldsRoot ? fieldsRoot.element : null, formError, h("div", { class: "actions" }, submit, cancel));
    let controller = null;
    cancel.addEventListener("click", () => controller && controller.abort());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      let values;
      try {
        values = fieldsRoot ? fieldsRoot.read() || {} : {};
      } catch (e) {
        if (!(e instanceof FieldError)) throw e;
        const slot = e.input.closest(".field").querySelector(".field-error");
        slot.textContent = e.message;
        e.input.closest(".field").classList.add("invalid");
        return;
      }
      controller = new AbortController();
      submit.disabled = true;
      cancel.hidden = false;
      form.classList.add("running");
      const out = new Output(output);
      try {
        await run(values, out, controller.signal, (message) => {
          const errors = fieldErrors(message);
          if (!errors) return false;
          const rest = placeErrors(form, errors);
          formError.textContent = rest.join("; ");
          return true;
        });
      } catch (e) {
        if (e.name === "AbortError") out.show(h("p", { class: "cancelled" }, "Cancelled."));
        else out.show(renderError(e));
      } finally {
        submit.disabled = false;
        cancel.hidden = true;
        form.classList.remove("running");
        controller = null;
      }
    });
    return h("div", {}, form, output);
  }

  function toolCard(tool) {
    const schema = tool.inputSchema || { type: "object" };
    const fields = schema.properties && Object.keys(schema.properties).length ? buildControl(resolve(schema, schema).schema, schema, "", true, undefined, "") : null;
    const annotations = tool.annotations || {};
    const badges = [];
    if (annotations.readOnlyHint) badges.push("read-only");
    if (annotations.destructiveHint) badges.push("destructive");
    if (annotations.idempotentHint) badges.push("idempotent");
    if (annotations.openWorldHint) badges.push("open world");
    const run = async (args, out, signal, placeFieldErrors) => {
      const id = ++client.nextId;
      const token = `explorer-${++callCounter}`;
      const started = performance.now();
      const abort = () => client.notify("notifications/cancelled", { requestId: id, reason: "Cancelled in the explorer" }).catch(() => {});
      signal.addEventListener("abort", abort);
      out.show(h("details", { class: "schema sent" }, h("summary", {}, "Arguments sent"), h("pre", {}, pretty(args))));
      try {
        const result = await client.request("tools/call", { name: tool.name, arguments: args, _meta: { progressToken: token } }, { id, signal, onMessage: (m) => out.onMessage(m) });
        const elapsed = Math.round(performance.now() - started);
        if (result.isError) {
          const text = (result.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
          placeFieldErrors(text);
        }
        out.show(renderToolResult(result, elapsed));
      } catch (e) {
        if (e instanceof RpcError) placeFieldErrors(e.message);
        throw e;
      } finally {
        signal.removeEventListener("abort", abort);
      }
    };
    const body = h(
      "div",
      {},
      callForm(fields, "Call tool", run),
      schemaBlock("Input schema", schema),
      tool.outputSchema ? schemaBlock("Output schema", tool.outputSchema) : null,
    );
    return card("tool", tool.name, tool.title || (annotations.title ?? null), tool.description, badges, body);
  }

  function readInto(uri, out) {
    return client.request("resources/read", { uri }, { onMessage: (m) => out.onMessage(m) }).then((result) => {
      out.show(h("div", { class: "result" }, h("h4", {}, "Contents"), (result.contents || []).map(renderResourceContents)));
    });
  }

  function resourceCard(resource) {
    const run = (values, out) => readInto(resource.uri, out);
    const meta = h("p", { class: "meta" }, h("code", {}, resource.uri), resource.mimeType ? ` · ${resource.mimeType}` : "", resource.size ? ` · ${resource.size} bytes` : "");
    return card("resource", resource.name || resource.uri, resource.title, resource.description, [], h("div", {}, meta, callForm(null, "Read", run)));
  }

  // RFC 6570 level 1-2 expansion ({var}, {+var}, {#var}), enough for MCP's templates.
  function expand(template, values) {
    return template.replace(/\{([+#]?)([^}]+)\}/g, (_, op, names) =>
      names
        .split(",")
        .map((name) => {
          const v = values[name.replace(/\*$/, "")];
          if (v === undefined) return "";
          return op ? encodeURI(String(v)) : encodeURIComponent(String(v));
        })
        .join(","),
    );
  }

  function templateVariables(template) {
    const names = [];
    for (const [, , list] of template.matchAll(/\{([+#./;?&]?)([^}]+)\}/g)) {
      for (const name of list.split(",")) names.push(name.replace(/\*$/, "").replace(/:\d+$/, ""));
    }
    return names;
  }

  function templateCard(template) {
    const names = templateVariables(template.uriTemplate);
    const schema = { type: "object", required: names, properties: Object.fromEntries(names.map((n) => [n, { type: "string" }])) };
    const fields = names.length ? buildControl(schema, schema, "", true, undefined, "") : null;
    const run = (values, out) => readInto(expand(template.uriTemplate, values), out);
    const meta = h("p", { class: "meta" }, h("code", {}, template.uriTemplate), template.mimeType ? ` · ${template.mimeType}` : "");
    return card("template", template.name || template.uriTemplate, template.title, template.description, [], h("div", {}, meta, callForm(fields, "Read", run)));
  }

  function promptCard(prompt) {
    const args = prompt.arguments || [];
    const schema = {
      type: "object",
      required: args.filter((a) => a.required).map((a) => a.name),
      properties: Object.fromEntries(args.map((a) => [a.name, { type: "string", description: a.description }])),
    };
    const fields = args.length ? buildControl(schema, schema, "", true, undefined, "") : null;
    const run = async (values, out, signal, placeFieldErrors) => {
      try {
        const result = await client.request("prompts/get", { name: prompt.name, arguments: values }, { signal, onMessage: (m) => out.onMessage(m) });
        out.show(
          h(
            "div",
            { class: "result" },
            h("h4", {}, "Messages"),
            result.description ? h("p", { class: "description" }, result.description) : null,
            (result.messages || []).map((m) => h("div", { class: `message role-${m.role}` }, h("span", { class: "role" }, m.role), renderContent(m.content))),
          ),
        );
      } catch (e) {
        if (e instanceof RpcError) placeFieldErrors(e.message);
        throw e;
      }
    };
    return card("prompt", prompt.name, prompt.title, prompt.description, [], callForm(fields, "Get prompt", run));
  }

  async function fill(id, method, key, capable, makeCard) {
    const { el, items } = section(id);
    if (!capable) return 0;
    el.hidden = false;
    try {
      const list = await client.listAll(method, key);
      items.replaceChildren(...list.map(makeCard));
      if (!list.length) items.append(h("p", { class: "empty" }, "None that you may use."));
      return list.length;
    } catch (e) {
      items.replaceChildren(renderError(e));
      return 0;
    }
  }

  function applyFilter() {
    const needle = document.getElementById("filter").value.trim().toLowerCase();
    root.querySelectorAll(".item").forEach((item) => {
      item.hidden = needle !== "" && !item.querySelector("summary").textContent.toLowerCase().includes(needle);
    });
  }

  async function start() {
    let info;
    try {
      info = await client.initialize();
    } catch (e) {
      status.replaceChildren(renderError(e));
      return;
    }
    const server = info.serverInfo || {};
    document.getElementById("server-name").textContent = `${server.title || server.name || ""} ${server.version || ""}`.trim();
    document.getElementById("protocol").textContent = `MCP ${client.protocolVersion}`;
    if (info.instructions) {
      const instructions = document.getElementById("instructions");
      instructions.textContent = info.instructions;
      instructions.hidden = false;
    }
    const caps = info.capabilities || {};
    const [tools, resources, templates, prompts] = await Promise.all([
      fill("tools", "tools/list", "tools", caps.tools, toolCard),
      fill("resources", "resources/list", "resources", caps.resources, resourceCard),
      fill("resource-templates", "resources/templates/list", "resourceTemplates", caps.resources, templateCard),
      fill("prompts", "prompts/list", "prompts", caps.prompts, promptCard),
    ]);
    status.textContent = "Connected.";
    document.getElementById("counts").textContent = `${tools} tools · ${resources} resources · ${templates} templates · ${prompts} prompts`;
    document.getElementById("filter").addEventListener("input", applyFilter);
    root.dataset.ready = "true";
  }

  start();
})();
