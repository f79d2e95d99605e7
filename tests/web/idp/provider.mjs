// A real OpenID provider for the single sign-on tests: the `oidc-provider` package from the
// npm registry (installed by tests/web/oidc.py into a cache directory), with its development
// login pages. Any login is an account whose email is the login; logins starting with
// "unverified" have an unverified email.
// Usage: node provider.mjs REDIRECT_URI CLIENT_ID CLIENT_SECRET (module path in env). It binds a
// port the system chooses, then says "ready PORT"; its issuer is http://127.0.0.1:PORT.
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";

const { default: Provider } = await import(
  pathToFileURL(process.env.OIDC_PROVIDER_MODULE).href
);
const [redirectUri, clientId, clientSecret] = process.argv.slice(2);

const server = createServer();
await new Promise((bound) => server.listen(0, "127.0.0.1", bound));
const port = server.address().port;
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  claims: { email: ["email", "email_verified"], profile: ["name"] },
  conformIdTokenClaims: false, // the ID token carries the email (what the client reads)
  pkce: { required: () => true },
  cookies: { keys: ["handoff-tests-only"] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: id,
          email_verified: !id.startsWith("unverified"),
          name: id.split("@")[0],
        };
      },
    };
  },
});
server.on("request", provider.callback());
console.log(`ready ${port}`);
