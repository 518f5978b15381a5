// Drives a django-mcp server with an official TypeScript MCP client and prints
// what it saw as JSON, for tests/python/test_interop.py to check.
//   node client.mjs v1|v2 legacy|auto|sse URL   (sse: v1's HTTP+SSE transport)
const [sdk, mode, url] = process.argv.slice(2);

let Client, Transport, on;
if (sdk === 'v1') {
  ({ Client } = await import('@modelcontextprotocol/sdk/client/index.js'));
  ({ StreamableHTTPClientTransport: Transport } = mode === 'sse'
    ? { StreamableHTTPClientTransport: (await import('@modelcontextprotocol/sdk/client/sse.js')).SSEClientTransport }
    : await import('@modelcontextprotocol/sdk/client/streamableHttp.js'));
  const types = await import('@modelcontextprotocol/sdk/types.js');
  const schemas = {
    'elicitation/create': types.ElicitRequestSchema,
    'notifications/message': types.LoggingMessageNotificationSchema,
  };
  on = (client, kind, method, fn) => client[kind](schemas[method], fn);
} else {
  ({ Client, StreamableHTTPClientTransport: Transport } = await import('@modelcontextprotocol/client'));
  on = (client, kind, method, fn) => client[kind](method, fn);
}

const options = { capabilities: { elicitation: {} } };
if (sdk === 'v2') options.versionNegotiation = { mode };
const client = new Client({ name: `interop-${sdk}-${mode}`, version: '1.0.0' }, options);
const logs = [];
on(client, 'setNotificationHandler', 'notifications/message', (n) => { logs.push(n.params.data); });
on(client, 'setRequestHandler', 'elicitation/create', async (request) => ({
  action: 'accept',
  content: { color: 'green', count: 2 },
}));

await client.connect(new Transport(new URL(url)));
const out = {};
out.protocolVersion = client.getNegotiatedProtocolVersion?.() ?? client.transport?.protocolVersion ?? null;
out.tools = (await client.listTools()).tools.map((t) => t.name);
const add = await client.callTool({ name: 'add', arguments: { a: 40, b: 2 } });
out.add = { text: add.content[0].text, structured: add.structuredContent ?? null, isError: add.isError ?? false };
const failed = await client.callTool({ name: 'fail', arguments: { message: 'boom' } });
out.fail = { isError: failed.isError, text: failed.content[0].text };
out.resource = (await client.readResource({ uri: 'greeting://TS' })).contents[0].text;
out.prompt = (await client.getPrompt({ name: 'greet', arguments: { name: 'Node' } })).messages[0].content.text;
const progress = [];
const gate = `ts-${Date.now()}-${Math.random()}`;
const onprogress = (p) => progress.push(p.progress);
// v1 takes (params, resultSchema, options); v2 takes (params, options).
const waiting = sdk === 'v1'
  ? client.callTool({ name: 'wait_for_release', arguments: { gate } }, undefined, { onprogress })
  : client.callTool({ name: 'wait_for_release', arguments: { gate } }, { onprogress });
while (progress.length === 0) await new Promise((r) => setTimeout(r, 20));
out.progressBeforeResult = [...progress];
await client.callTool({ name: 'release', arguments: { gate } });
out.waited = (await waiting).content[0].text;
out.progress = progress;
out.elicited = (await client.callTool({ name: 'ask_preferences', arguments: {} })).content[0].text;
out.sessionId = client.transport?.sessionId ?? null;
out.logs = logs;
await client.close();
console.log(JSON.stringify(out));
