import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verifies an `X-Webhook-Signature` header the way wire spec §3 tells receivers to, written here from
 * the recipe rather than with the SDK, so a test using it checks the SDK and the dispatcher against
 * the spec and not against themselves. Returns the secrets (from `secrets`) that match some `v1`.
 */
export function secretsVerifyingByRecipe(header: string, body: Buffer | string, secrets: readonly string[]): string[] {
  const match = /^t=(\d+)((?:,v1=[0-9a-f]{64})+)$/.exec(header);
  if (!match) throw new Error(`malformed signature header: ${header}`);
  const t = match[1]!;
  const given = match[2]!.slice(1).split(',').map((part) => Buffer.from(part.slice(3), 'hex'));
  return secrets.filter((secret) => {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.`).update(body).digest();
    return given.some((signature) => timingSafeEqual(signature, expected));
  });
}
