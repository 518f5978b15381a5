// The TypeScript SDK v1 client against several worker processes behind a
// round robin (each HTTP request to the next worker, as a load balancer
// without sticky sessions does): elicitations and samplings whose answers
// land on other workers than the waiting call. Prints what it saw as JSON.
//   node workers.mjs ELICITATIONS SAMPLINGS URL [URL...]
const [elicitations, samplings, ...urls] = process.argv.slice(2);
const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
const types = await import('@modelcontextprotocol/sdk/types.js');

let next = 0;
const answersTo = {};
const roundRobin = async (input, init) => {
  const target = new URL(urls[next++ % urls.length]);
  const url = new URL(input instanceof Request ? input.url : input);
  url.host = target.host;
  const body = init?.body;
  if (typeof body === 'string' && body.includes('"result"') && !body.includes('"method"')) {
    answersTo[url.host] = (answersTo[url.host] ?? 0) + 1;
  }
  return fetch(url, init);
};

const client = new Client({ name: 'interop-workers', version: '1.0.0' }, { capabilities: { elicitation: {}, sampling: {} } });
client.setRequestHandler(types.ElicitRequestSchema, async () => ({ action: 'accept', content: { color: 'green', count: 2 } }));
client.setRequestHandler(types.CreateMessageRequestSchema, async () => ({
  role: 'assistant',
  content: { type: 'text', text: 'short' },
  model: 'ts-model',
}));
await client.connect(new StreamableHTTPClientTransport(new URL(urls[0]), { fetch: roundRobin }));
const texts = [];
for (let i = 0; i < Number(elicitations); i++) {
  texts.push((await client.callTool({ name: 'ask_preferences', arguments: {} })).content[0].text);
}
for (let i = 0; i < Number(samplings); i++) {
  texts.push((await client.callTool({ name: 'summarize', arguments: { text: 'bees' } })).content[0].text);
}
await client.close();
console.log(JSON.stringify({ texts, answersTo }));
