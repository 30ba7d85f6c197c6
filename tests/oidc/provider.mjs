// A real OpenID Connect provider for the tests: node provider.mjs PORT REDIRECT_URI ACCOUNTS_JSON
// Accounts are claims by login name; the dev interactions' login form takes any password.
import Provider from "oidc-provider";

const [port, redirectUri, accountsJson] = process.argv.slice(2);
const accounts = JSON.parse(accountsJson || "{}");
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "lms146",
      client_secret: "bi-mat-cua-lms146",
      redirect_uris: [redirectUri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    phone: ["phone_number", "phone_number_verified"],
    profile: ["name"],
    unit: ["unit_code"],
  },
  scopes: ["openid", "email", "phone", "profile", "unit"],
  conformIdTokenClaims: false,
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, ...(accounts[id] || {}) }),
  }),
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["lms146-test-cookie-key"] },
  loadExistingGrant: async (ctx) => {
    // Consent is given by configuration: the tests sign in, they do not consent.
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid email phone profile unit");
    await grant.save();
    return grant;
  },
});
provider.on("server_error", (ctx, err) => console.error("server_error", err));
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
