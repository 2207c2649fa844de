import * as z from 'zod';

/**
 * What an HTTP body must be to count as a Telegram update. Every field the bot reads is checked
 * against the type Telegram documents for it, so a body Telegram would never send (a number as
 * `text`, an object as `callback_query.data`) is refused at the door with a 400 instead of
 * failing the consumer on every try. Fields we do not read pass through untouched (loose
 * objects): Telegram adds fields over time and grammY may want them.
 */

/** Telegram's own limits: 4096 characters of text, 1024 of caption, 1-64 bytes of callback data. */
const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const CALLBACK_DATA_BYTES = 64;

/**
 * Deeper than any update Telegram sends (a reply inside a message inside an update is about 6),
 * far below what would overflow the stack of JSON.stringify or a recursive validator.
 */
export const MAX_UPDATE_DEPTH = 32;

const int = z.number().int();
const userSchema = z.looseObject({
  id: int.positive(),
  is_bot: z.boolean(),
  first_name: z.string(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});
const chatSchema = z.looseObject({
  id: int,
  type: z.enum(['private', 'group', 'supergroup', 'channel']),
});
const entitySchema = z.looseObject({
  type: z.string(),
  offset: int.nonnegative(),
  length: int.nonnegative(),
});

/** A message as the bot reads it; a nested reply or quote is only required to be an object. */
const messageSchema = z.looseObject({
  message_id: int,
  date: int,
  chat: chatSchema,
  from: userSchema.optional(),
  text: z.string().max(TEXT_LIMIT).optional(),
  caption: z.string().max(CAPTION_LIMIT).optional(),
  entities: z.array(entitySchema).optional(),
  caption_entities: z.array(entitySchema).optional(),
  reply_to_message: z.looseObject({}).optional(),
});

const callbackQuerySchema = z.looseObject({
  id: z.string().min(1),
  from: userSchema,
  chat_instance: z.string().optional(),
  data: z
    .string()
    .refine((data) => Buffer.byteLength(data, 'utf8') <= CALLBACK_DATA_BYTES, 'longer than 64 bytes')
    .optional(),
  message: z.looseObject({ message_id: int, chat: chatSchema }).optional(),
});

const updateSchema = z.looseObject({
  update_id: int.nonnegative(),
  message: messageSchema.optional(),
  edited_message: messageSchema.optional(),
  channel_post: messageSchema.optional(),
  edited_channel_post: messageSchema.optional(),
  callback_query: callbackQuerySchema.optional(),
});

export type UpdateEnvelope = z.infer<typeof updateSchema>;

export type ParseResult = { ok: true; update: UpdateEnvelope } | { ok: false; reason: string };

export function parseUpdate(body: string): ParseResult {
  if (nestingDepth(body) > MAX_UPDATE_DEPTH) {
    return { ok: false, reason: `body is nested deeper than ${MAX_UPDATE_DEPTH} levels` };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('update_id' in json)) {
    return { ok: false, reason: 'body is not a Telegram update (no integer update_id)' };
  }
  const parsed = updateSchema.safeParse(json);
  if (!parsed.success) {
    // Names the first bad field, never its value: the value may be a secret someone pasted.
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') || 'update';
    if (path === 'update_id')
      return { ok: false, reason: 'body is not a Telegram update (no integer update_id)' };
    return { ok: false, reason: `not a Telegram update: ${path} ${issue?.message ?? 'is invalid'}` };
  }
  return { ok: true, update: parsed.data };
}

/**
 * The deepest bracket nesting in a JSON text, counted without parsing it (strings skipped), so a
 * hostile body is measured in one linear pass and never reaches a recursive algorithm.
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}
