// Checks a downloaded export against its manifest in the browser, the way `rmdesk verify-export`
// does (api/src/verify.rs) and the server builds it (api/src/routes/v1/exports.rs):
//
// - items: SHA-256 over each item's JSON text exactly as it stands in the file, each followed by
//   `\n`, in order, equals `items_sha256`; their number equals `row_count`;
// - signature: Ed25519 over `rmdesk-export-v1\n{row_count}\n{items_sha256}\n{chain_from or -}\n
//   {chain_to or -}` with the server's public key (GET /audit/public-key, never a key from the file),
//   whose id (first 16 hex digits of the SHA-256 of the key's hex text) is the manifest's `key_id`;
// - audit events: each event's hash over the compact JSON of its chained content, and the links
//   (first `prev_hash` = `chain_from`, each next `prev_hash` = the previous `hash`, last `hash` =
//   `chain_to`, no missing `seq` in a contiguous export).
//
// Pure: bytes and a key in, a report out; WebCrypto (SHA-256, Ed25519) is passed in for tests.

export interface ExportManifest {
  dataset: string;
  format: string;
  row_count: number;
  items_sha256: string;
  chain_from?: string | null;
  chain_to?: string | null;
  contiguous: boolean;
  complete: boolean;
  key_id: string;
  signature?: string | null;
  generated_at?: string;
  generated_by?: string;
}

export type ChainBreak = { seq: number; reason: "hash_mismatch" | "broken_link" | "gap" | "not_an_event" };

export interface ExportReport {
  format: "json" | "ndjson";
  manifest: ExportManifest;
  count: { expected: number; found: number; ok: boolean };
  digest: { expected: string; found: string; ok: boolean };
  /** `key`: the manifest names the server's key; `valid`: the signature verifies with it. */
  signature: { keyId: string; expectedKeyId: string; key: boolean; valid: boolean; ok: boolean };
  /** Audit events only: event hashes and links. */
  chain: { checked: number; firstBreak: ChainBreak | null; ok: boolean } | null;
  /** Every check matched (an export cut off short is reported, not failed: its digest covers what was sent). */
  ok: boolean;
}

/** Why a file cannot be checked at all (shown by its code in the user's language). */
export class NotAnExport extends Error {
  constructor(readonly reason: "not_export" | "no_manifest" | "bad_key" | "no_crypto") {
    super(reason);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CR = 0x0d;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === NEWLINE || b === CR;
}

/** The slice without surrounding JSON whitespace (what serde's RawValue holds). */
function trimmed(bytes: Uint8Array, start: number, end: number): Uint8Array {
  while (start < end && isSpace(bytes[start])) start++;
  while (end > start && isSpace(bytes[end - 1])) end--;
  return bytes.subarray(start, end);
}

const JSON_HEAD = new TextEncoder().encode('{"items":');

function startsWith(bytes: Uint8Array, head: Uint8Array): boolean {
  if (bytes.length < head.length) return false;
  for (let i = 0; i < head.length; i++) if (bytes[i] !== head[i]) return false;
  return true;
}

/**
 * The items of a JSON export document as the bytes each one has in the file, and the manifest. The
 * array is split where the text splits it (commas and brackets outside strings at the array's own
 * depth), so no item is ever re-serialised: a reformatted item would no longer be what was signed.
 */
function splitJson(bytes: Uint8Array): { items: Uint8Array[]; manifest: unknown } {
  let i = JSON_HEAD.length;
  while (i < bytes.length && isSpace(bytes[i])) i++;
  if (bytes[i] !== 0x5b) throw new NotAnExport("not_export");
  i++;
  const items: Uint8Array[] = [];
  let start = i;
  let depth = 0;
  let inString = false;
  let closed = -1;
  for (; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    if (b === QUOTE) inString = true;
    else if (b === 0x7b || b === 0x5b) depth++;
    else if (b === 0x7d || b === 0x5d) {
      if (depth === 0) {
        closed = i;
        break;
      }
      depth--;
    } else if (b === COMMA && depth === 0) {
      items.push(trimmed(bytes, start, i));
      start = i + 1;
    }
  }
  if (closed < 0 || bytes[closed] !== 0x5d) throw new NotAnExport("not_export");
  const last = trimmed(bytes, start, closed);
  if (last.length > 0 || items.length > 0) items.push(last);
  if (items.some((item) => item.length === 0)) throw new NotAnExport("not_export");
  // What follows the array is `,"manifest":{...}}`: read it as the object `{"manifest":{...}}`.
  const rest = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(closed + 1)).trim();
  if (!rest.startsWith(",")) throw new NotAnExport("no_manifest");
  let tail: { manifest?: unknown };
  try {
    tail = JSON.parse(`{${rest.slice(1)}`) as { manifest?: unknown };
  } catch {
    throw new NotAnExport("no_manifest");
  }
  if (!tail.manifest) throw new NotAnExport("no_manifest");
  return { items, manifest: tail.manifest };
}

/** NDJSON: one item per line, the manifest the last non-empty line (as `rmdesk verify-export` reads it). */
function splitNdjson(bytes: Uint8Array): { items: Uint8Array[]; manifest: unknown } {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === NEWLINE) {
      let end = i;
      if (end > start && bytes[end - 1] === CR) end--;
      const line = bytes.subarray(start, end);
      if (trimmed(line, 0, line.length).length > 0) lines.push(line);
      start = i + 1;
    }
  }
  const last = lines.pop();
  if (!last) throw new NotAnExport("not_export");
  try {
    return { items: lines, manifest: JSON.parse(new TextDecoder().decode(last)) };
  } catch {
    throw new NotAnExport("no_manifest");
  }
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(text: string): Uint8Array<ArrayBuffer> | null {
  const clean = text.trim();
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return null;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** `rmdesk-export-v1\n{row_count}\n{items_sha256}\n{chain_from or -}\n{chain_to or -}` (anchor::manifest_message). */
export function manifestMessage(m: Pick<ExportManifest, "row_count" | "items_sha256" | "chain_from" | "chain_to">): string {
  return `rmdesk-export-v1\n${m.row_count}\n${m.items_sha256}\n${m.chain_from ?? "-"}\n${m.chain_to ?? "-"}`;
}

/** The key's id as manifests name it: the first 16 hex digits of the SHA-256 of its hex text. */
export async function keyId(publicKeyHex: string, subtle: SubtleCrypto): Promise<string> {
  return hex(await subtle.digest("SHA-256", new TextEncoder().encode(publicKeyHex.trim()))).slice(0, 16);
}

export async function sha256Hex(data: BufferSource, subtle: SubtleCrypto = defaultSubtle()): Promise<string> {
  return hex(await subtle.digest("SHA-256", data));
}

function defaultSubtle(): SubtleCrypto {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new NotAnExport("no_crypto");
  return subtle;
}

async function verifySignature(m: ExportManifest, publicKeyHex: string, subtle: SubtleCrypto): Promise<boolean> {
  const key = fromHex(publicKeyHex);
  const signature = m.signature ? fromHex(m.signature) : null;
  if (!key || key.length !== 32) throw new NotAnExport("bad_key");
  if (!signature || signature.length !== 64) return false;
  // A browser without Ed25519 cannot check the signature: that is said, never reported as a
  // changed export.
  let imported: CryptoKey;
  try {
    imported = await subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
  } catch {
    throw new NotAnExport("no_crypto");
  }
  return subtle.verify({ name: "Ed25519" }, imported, signature, new TextEncoder().encode(manifestMessage(m)));
}

interface AuditEvent {
  seq: number;
  occurred_at: string;
  actor_user_id: string | null;
  actor_username: string;
  actor_roles: string[];
  actor_org_unit_id: string | null;
  action: string;
  entity: string;
  entity_id: string;
  org_path: string;
  before_sha256: string | null;
  after_sha256: string | null;
  request_id: string;
  policy_version: number;
  prev_hash: string;
  hash: string;
}

/**
 * An event's hash: SHA-256 of the compact JSON of `ChainedContent` (domain/audit_chain.rs), its
 * fields in that order, absent options as `null`, the roles comma-joined. JSON.stringify writes
 * strings and integers as serde_json does (the same escapes, no spaces).
 */
export async function eventHash(e: AuditEvent, subtle: SubtleCrypto): Promise<string> {
  const canonical = JSON.stringify({
    seq: e.seq,
    occurred_at: e.occurred_at,
    actor_user_id: e.actor_user_id ?? null,
    actor_username: e.actor_username,
    actor_roles: (e.actor_roles ?? []).join(","),
    actor_org_unit_id: e.actor_org_unit_id ?? null,
    action: e.action,
    entity: e.entity,
    entity_id: e.entity_id,
    org_path: e.org_path,
    before_sha256: e.before_sha256 ?? null,
    after_sha256: e.after_sha256 ?? null,
    request_id: e.request_id,
    policy_version: e.policy_version,
    prev_hash: e.prev_hash,
  });
  return sha256Hex(new TextEncoder().encode(canonical), subtle);
}

async function checkChain(items: Uint8Array[], m: ExportManifest, subtle: SubtleCrypto): Promise<NonNullable<ExportReport["chain"]>> {
  const decoder = new TextDecoder();
  const breaks: { first: ChainBreak | null; gap: ChainBreak | null } = { first: null, gap: null };
  const note = (b: ChainBreak) => {
    breaks.first ??= b;
  };
  let previous: { seq: number; hash: string } | null = null;
  let checked = 0;
  for (let n = 0; n < items.length; n++) {
    let e: AuditEvent;
    try {
      e = JSON.parse(decoder.decode(items[n])) as AuditEvent;
    } catch {
      note({ seq: previous ? previous.seq + 1 : 0, reason: "not_an_event" });
      continue;
    }
    if (typeof e.seq !== "number" || typeof e.hash !== "string" || typeof e.prev_hash !== "string") {
      note({ seq: previous ? previous.seq + 1 : 0, reason: "not_an_event" });
      continue;
    }
    let found: ChainBreak["reason"] | null = null;
    if (!previous) {
      if ((m.chain_from ?? null) !== e.prev_hash) found = "broken_link";
    } else if (e.seq === previous.seq + 1 && e.prev_hash !== previous.hash) {
      found = "broken_link";
    } else if (e.seq !== previous.seq + 1) {
      breaks.gap ??= { seq: e.seq, reason: "gap" };
    }
    if ((await eventHash(e, subtle)) !== e.hash) found = "hash_mismatch";
    if (found) note({ seq: e.seq, reason: found });
    previous = { seq: e.seq, hash: e.hash };
    checked++;
  }
  if (previous && m.chain_to && previous.hash !== m.chain_to) note({ seq: previous.seq, reason: "broken_link" });
  // In a contiguous export a missing sequence number is a break too (an event removed).
  const { first, gap } = breaks;
  const firstBreak = m.contiguous && gap && (!first || first.seq > gap.seq) ? gap : first;
  return { checked, firstBreak, ok: firstBreak === null };
}

function asManifest(value: unknown): ExportManifest {
  const m = value as Partial<ExportManifest> | null;
  if (!m || typeof m !== "object" || typeof m.items_sha256 !== "string" || typeof m.row_count !== "number" || typeof m.dataset !== "string") {
    throw new NotAnExport("no_manifest");
  }
  return { contiguous: false, complete: false, key_id: "", ...m } as ExportManifest;
}

/**
 * Checks an export file (the JSON document or NDJSON the API sends) against its manifest and the
 * server's public key (hex). Throws `NotAnExport` when the file is no export at all.
 */
export async function verifyExport(bytes: Uint8Array, publicKeyHex: string, subtle: SubtleCrypto = defaultSubtle()): Promise<ExportReport> {
  const format = startsWith(bytes, JSON_HEAD) ? "json" : "ndjson";
  let split: { items: Uint8Array[]; manifest: unknown };
  try {
    split = format === "json" ? splitJson(bytes) : splitNdjson(bytes);
  } catch (e) {
    throw e instanceof NotAnExport ? e : new NotAnExport("not_export");
  }
  const manifest = asManifest(split.manifest);
  const { items } = split;

  let total = 0;
  for (const item of items) total += item.length + 1;
  const digested = new Uint8Array(total);
  let at = 0;
  for (const item of items) {
    digested.set(item, at);
    at += item.length;
    digested[at++] = NEWLINE;
  }
  const found = await sha256Hex(digested, subtle);
  const digest = { expected: manifest.items_sha256, found, ok: found === manifest.items_sha256 };
  const count = { expected: manifest.row_count, found: items.length, ok: items.length === manifest.row_count };

  const serverKeyId = await keyId(publicKeyHex, subtle);
  const valid = await verifySignature(manifest, publicKeyHex, subtle);
  const key = serverKeyId === manifest.key_id;
  const signature = { keyId: manifest.key_id, expectedKeyId: serverKeyId, key, valid, ok: key && valid };

  const chain = manifest.dataset === "audit_events" ? await checkChain(items, manifest, subtle) : null;
  return {
    format,
    manifest,
    count,
    digest,
    signature,
    chain,
    ok: count.ok && digest.ok && signature.ok && (chain?.ok ?? true),
  };
}
