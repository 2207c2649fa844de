import { createPublicKey, type KeyObject, verify } from 'node:crypto';

/**
 * Checks a GitHub App JWT as GitHub does: RS256 signed by the App's key, issued by the App id,
 * not expired, not issued in the future (60 s of skew allowed), at most 10 minutes long.
 */
export function verifyAppJwt(
  jwt: string,
  app: { appId: string | number; publicKey: string | KeyObject },
  nowMs: number,
): boolean {
  const parts = jwt.split('.');
  if (parts.length !== 3) return false;
  const [header, payload, signature] = parts as [string, string, string];
  try {
    const { alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: string };
    if (alg !== 'RS256') return false;
    const key = typeof app.publicKey === 'string' ? createPublicKey(app.publicKey) : app.publicKey;
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      key,
      Buffer.from(signature, 'base64url'),
    );
    if (!signed) return false;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      iat?: number;
      exp?: number;
      iss?: string | number;
    };
    const now = Math.floor(nowMs / 1000);
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return false;
    if (String(claims.iss) !== String(app.appId)) return false;
    return claims.iat <= now + 60 && claims.exp > now && claims.exp - claims.iat <= 600;
  } catch {
    return false;
  }
}
