// A real OpenID provider for the single sign-on tests: the `oidc-provider` package from the
// npm registry (installed by tests/web/oidc.py into a cache directory), with its development
// login pages. Any login is an account whose email is the login; logins starting with
// "unverified" have an unverified email.
// Usage: node provider.mjs PORT REDIRECT_URI CLIENT_ID CLIENT_SECRET (module path in env).
import { pathToFileURL } from "node:url";

const { default: Provider } = await import(
  pathToFileURL(process.env.OIDC_PROVIDER_MODULE).href
);
const [port, redirectUri, clientId, clientSecret] = process.argv.slice(2);

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
provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
