import { z } from "zod";
import enZod from "zod/v4/locales/en.js";
import idZod from "zod/v4/locales/id.js";
import { currentLanguage, type Language } from "../request-scope";
import { en } from "./en";
import { id } from "./id";

/**
 * Messages for people, in their language: one catalogue per language (`en.ts`, `id.ts`), keyed by a
 * stable message key. A user error code is its own key (the general sentence for that code); more
 * precise sentences are `<CODE>.<case>`. Values in braces (`{max}`) are parameters of the message;
 * `{total:rupiah}` is an amount of whole rupiah, written as the language writes money
 * (`Rp1,000,000` in English, `Rp1.000.000` in Indonesian).
 */
export type { Language };

export type MessageKey = keyof typeof en;

/** The placeholders a template names in braces: `"At most {max} rows, {total:rupiah}"` → `"max" | "total:rupiah"`. */
type Placeholders<S extends string> = S extends `${string}{${infer Name}}${infer Rest}`
  ? Name | Placeholders<Rest>
  : never;
type ParamName<P extends string> = P extends `${infer Name}:rupiah` ? Name : P;
/** An amount is whole rupiah: a bigint, or its digits as the `Rupiah` scalar carries them. */
type ParamValue<P extends string> = P extends `${string}:rupiah` ? bigint | string : string | number | bigint;
export type MessageParams<K extends MessageKey> = {
  [P in Placeholders<(typeof en)[K]> as ParamName<P>]: ParamValue<P>;
};
type ParamsArg<K extends MessageKey> = [Placeholders<(typeof en)[K]>] extends [never] ? [] : [params: MessageParams<K>];

/** A message not yet put into words: pure rules return these, and the request's language renders them. */
export interface Message {
  key: MessageKey;
  params?: Record<string, string | number | bigint>;
}

const digitGroupSeparator: Record<Language, string> = { en: ",", id: "." };

/** `Rp` and the amount with its thousands grouped the language's way; anything but digits as it is. */
export function writtenRupiah(amount: bigint | string | number, language: Language): string {
  const text = String(amount);
  if (!/^-?\d+$/.test(text)) return `Rp${text}`;
  const sign = text.startsWith("-") ? "-" : "";
  return `${sign}Rp${text.replace("-", "").replace(/\B(?=(\d{3})+$)/g, digitGroupSeparator[language])}`;
}

export function msg<K extends MessageKey>(key: K, ...params: ParamsArg<K>): Message {
  return params[0] ? { key, params: params[0] } : { key };
}

export const catalogues: Record<Language, Record<MessageKey, string>> = { en, id };

export function render(message: Message, language: Language = currentLanguage()): string {
  const template = catalogues[language][message.key];
  const params = message.params ?? {};
  return template.replace(/\{(\w+)(:rupiah)?\}/g, (whole, name: string, rupiah?: string) => {
    if (!Object.hasOwn(params, name)) return whole;
    const value = params[name] as string | number | bigint;
    return rupiah ? writtenRupiah(value, language) : String(value);
  });
}

/** A message in the current request's language. */
export function say<K extends MessageKey>(key: K, ...params: ParamsArg<K>): string {
  return render(msg(key, ...params));
}

/** A message key given where only a string fits (Pothos `validate` options); `sayKeyOrText` renders it. */
export function messageKey(key: MessageKey): string {
  return key;
}

export function isMessageKey(text: string): text is MessageKey {
  return Object.hasOwn(en, text);
}

/** A message key in the request's language; any other text (a library's own message) as it is. */
export function sayKeyOrText(text: string): string {
  return isMessageKey(text) ? render({ key: text }) : text;
}

/**
 * A zod message of ours, put into words when the issue is raised (inside the request, so in its
 * language): `.min(2, says("INVALID_INPUT.fullNameShort"))`.
 */
export function says<K extends MessageKey>(key: K, ...params: ParamsArg<K>): { error: () => string } {
  const message = msg(key, ...params);
  return { error: () => render(message) };
}

/**
 * The language an `Accept-Language` header asks for among ours (`id`, `en`), by q-value then
 * order (`id-ID` counts as `id`; `*` as the default); the default when it names neither.
 */
export function languageFromHeader(header: string | null | undefined, fallback: Language): Language {
  if (!header) return fallback;
  let best: { language: Language; q: number; order: number } | null = null;
  header.split(",").forEach((part, order) => {
    const [tag = "", ...parameters] = part.trim().split(";");
    const qParameter = parameters.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qParameter ? Number(qParameter.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0 || q > 1) return;
    const primary = tag.trim().toLowerCase().split("-")[0];
    // `in` is the withdrawn ISO 639 code for Indonesian, still sent by older Android devices.
    const language: Language | null =
      primary === "id" || primary === "in" ? "id" : primary === "en" ? "en" : primary === "*" ? fallback : null;
    if (language && (!best || q > best.q)) best = { language, q, order };
  });
  return (best as { language: Language } | null)?.language ?? fallback;
}

// zod's own messages (where no message of ours is set) follow the request's language too. Only
// these two locales are imported, so the Worker bundle carries no other.
const zodLocales = { en: enZod(), id: idZod() };
z.config({ localeError: (issue) => zodLocales[currentLanguage()].localeError(issue) });
