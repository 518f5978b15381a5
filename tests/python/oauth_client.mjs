// The TypeScript SDK (@modelcontextprotocol/client) as an OAuth client of a
// django-mcp site, for tests/python/test_oauth_server.py:
//   node oauth_client.mjs <tests/interop folder> <MCP endpoint URL>
// Given only the URL, it discovers the authorization server and registers. When
// it must send the user to authorize, it prints {"authorize": url} and reads the
// URL the site redirected the user's browser to (the test logs in and allows),
// then finishes with PKCE, calls a protected tool and prints what it got.
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

const [interop, url] = process.argv.slice(2);
const sdk = pathToFileURL(`${interop}/node_modules/@modelcontextprotocol/client/dist/index.mjs`).href;
const { Client, StreamableHTTPClientTransport, UnauthorizedError } = await import(sdk);

const redirectUrl = 'http://127.0.0.1:53682/callback';
const saved = {};
const provider = {
  get redirectUrl() { return redirectUrl; },
  get clientMetadata() {
    return {
      client_name: 'TypeScript Agent',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  },
  clientInformation() { return saved.client; },
  saveClientInformation(client) { saved.client = client; },
  tokens() { return saved.tokens; },
  saveTokens(tokens) { saved.tokens = tokens; },
  redirectToAuthorization(authorizationUrl) { saved.authorize = authorizationUrl.href; },
  saveCodeVerifier(verifier) { saved.verifier = verifier; },
  codeVerifier() { return saved.verifier; },
};

async function invoiceTotal() {
  const client = new Client({ name: 'ts-oauth', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
  try {
    return (await client.callTool({ name: 'invoice_total', arguments: { number: 8 } })).content[0].text;
  } finally {
    await client.close();
  }
}

let text;
try {
  text = await invoiceTotal();
} catch (error) {
  if (!(error instanceof UnauthorizedError) || !saved.authorize) throw error;
  console.log(JSON.stringify({ authorize: saved.authorize }));
  const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const redirected = new URL((await lines.next()).value);
  await new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }).finishAuth(redirected.searchParams);
  text = await invoiceTotal();
}
console.log(JSON.stringify({ text, clientId: saved.client.client_id, tokens: saved.tokens }));
process.exit(0);
