import * as z from 'zod';

/**
 * The least an HTTP body must be to count as a Telegram update. Everything else about the update
 * is grammY's business; this only keeps garbage out before it reaches state.
 */
const updateSchema = z.looseObject({
  update_id: z.number().int().nonnegative(),
});

export type UpdateEnvelope = z.infer<typeof updateSchema>;

export type ParseResult = { ok: true; update: UpdateEnvelope } | { ok: false; reason: string };

export function parseUpdate(body: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const parsed = updateSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'body is not a Telegram update (no integer update_id)' };
  return { ok: true, update: parsed.data };
}
