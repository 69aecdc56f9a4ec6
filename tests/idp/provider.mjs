// A small OpenID provider for the integration tests (panva/oidc-provider).
//
// Usage: node provider.mjs CONFIG.json
// CONFIG: { "port": 0, "jwks": {"keys": [private JWKs]}, "resource": "urn:...",
//           "audience": "...", "clients": [{client_id, client_secret, scope, hmis_roles, hmis_org}] }
// Prints one line "READY <issuer>" once it listens on 127.0.0.1. Key rotation = restart with a
// new JWKS on the same port (oidc-provider's keystore is fixed for the life of the process).
import { readFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  jwks: config.jwks,
  scopes: ['openid', ...config.scope.split(' ')],
  clients: config.clients.map((c) => ({
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  // Claims the HMIS API reads: roles and the caller's organization, kept in client metadata.
  extraClientMetadata: { properties: ['hmis_roles', 'hmis_org'] },
  async extraTokenClaims(ctx, token) {
    const client = await ctx.oidc.provider.Client.find(token.clientId);
    const claims = {};
    if (client?.hmis_roles) claims.roles = client.hmis_roles;
    if (client?.hmis_org) claims.hmis_org = client.hmis_org;
    return claims;
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => config.resource,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, resourceIndicator) {
        if (resourceIndicator !== config.resource) throw new errors.InvalidTarget();
        return {
          audience: config.audience,
          scope: config.scope,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: config.alg } },
        };
      },
    },
  },
  cookies: { keys: ['test-only-cookie-key'] },
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`READY ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
