// Verifies an authd access token as a Node resource server would: jose's remote key set and jwtVerify
// with the issuer, audience and type pinned. Usage: node verify.mjs JWKS_URL ISSUER AUDIENCE TOKEN
// Exit 0 and the payload on stdout when it verifies; exit 1 and the reason on stderr otherwise.
import { createRemoteJWKSet, jwtVerify } from "jose";

const [jwksURL, issuer, audience, token] = process.argv.slice(2);
const keys = createRemoteJWKSet(new URL(jwksURL));
try {
  const { payload, protectedHeader } = await jwtVerify(token, keys, {
    issuer,
    audience,
    typ: "at+jwt",
    algorithms: ["ES256", "EdDSA", "RS256"],
  });
  console.log(JSON.stringify({ alg: protectedHeader.alg, kid: protectedHeader.kid, sub: payload.sub }));
} catch (err) {
  console.error(`${err.code ?? "ERR"}: ${err.message}`);
  process.exit(1);
}
