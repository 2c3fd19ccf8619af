// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VerifyExport } from "../src/features/audit/Audit";
import { keyId, manifestMessage, NotAnExport, sha256Hex, verifyExport, type ExportReport } from "../src/features/audit/verifyExport";
import { resetFakeApi, route } from "./fake-api";
import { renderAs } from "./render";

// Node's WebCrypto (SHA-256, Ed25519), as Chromium's.
const subtle = globalThis.crypto.subtle;
const encode = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

// Three consecutive audit events (seq 3, 4, 5) exactly as a server's export wrote them.
const EVENTS = [
  "{\"seq\":3,\"occurred_at\":\"2026-11-30T04:00:00.157255Z\",\"actor_user_id\":null,\"actor_username\":\"system\",\"actor_roles\":[],\"actor_org_unit_id\":null,\"action\":\"user.create\",\"entity\":\"user\",\"entity_id\":\"01a236fd-13fe-72d6-a89b-e2dc7660d666\",\"org_path\":\"/01a236fd-13fc-75cb-827b-7d50912ade75/\",\"before\":null,\"after\":{\"id\":\"01a236fd-13fe-72d6-a89b-e2dc7660d666\",\"roles\":\"admin\",\"username\":\"admin\"},\"before_sha256\":null,\"after_sha256\":\"1f88ab58c1b88c03129b3fa47a2e3a32d51506f634d660be453a21369e51d380\",\"snapshot_salt\":\"cdba3d061753b522ca9b3d61d8a7b201\",\"before_redactions\":null,\"after_redactions\":null,\"request_id\":\"bootstrap\",\"policy_version\":1,\"prev_hash\":\"4a93524f66581a37cf0b592946aa67ada1c7bec3eb26681a9d21784aa942114d\",\"hash\":\"c54e7494cc61b96bcc75e3da2551239b43d2335d0040ea7d5a9086107e2aa391\"}",
  "{\"seq\":4,\"occurred_at\":\"2026-11-30T04:00:01.114911Z\",\"actor_user_id\":null,\"actor_username\":\"system\",\"actor_roles\":[],\"actor_org_unit_id\":null,\"action\":\"flag.raise\",\"entity\":\"flag\",\"entity_id\":\"01a236fd-180f-7547-a1a7-3ca64d3e561e\",\"org_path\":\"/01a236fd-13fc-75cb-827b-7d50912ade75/01a236fd-1453-7325-a8b6-05318810ef78/01a236fd-1453-7325-a8b6-05321d86044f/01a236fd-1453-7325-a8b6-05394123d498/01a236fd-1453-7325-a8b6-053a08041367/\",\"before\":null,\"after\":{\"id\":\"01a236fd-180f-7547-a1a7-3ca64d3e561e\",\"customer_id\":\"01a236fd-1461-7059-b776-c6fa0f8218e0\",\"rm_id\":null,\"kind\":\"npl\",\"severity\":\"critical\",\"source\":\"rule\",\"reason\":\"loan classified substandard or worse\",\"status\":\"open\",\"org_path\":\"/01a236fd-13fc-75cb-827b-7d50912ade75/01a236fd-1453-7325-a8b6-05318810ef78/01a236fd-1453-7325-a8b6-05321d86044f/01a236fd-1453-7325-a8b6-05394123d498/01a236fd-1453-7325-a8b6-053a08041367/\",\"raised_by\":\"system\",\"raised_at\":\"2026-11-16T04:00:01.113059\",\"updated_at\":\"2026-11-16T04:00:01.113059\",\"version\":1},\"before_sha256\":null,\"after_sha256\":\"e9551a113cf0a10e22568885a07d4535075ff6ed7f5711b6f1aeef01006a133e\",\"snapshot_salt\":\"fcee3b18f63d7647ce2d47f36f9c8d12\",\"before_redactions\":null,\"after_redactions\":null,\"request_id\":\"demo\",\"policy_version\":1,\"prev_hash\":\"c54e7494cc61b96bcc75e3da2551239b43d2335d0040ea7d5a9086107e2aa391\",\"hash\":\"ecbd26570b14d623983aa283caf53f21a32dae35f914699374e1cb95e2e64e17\"}",
  "{\"seq\":5,\"occurred_at\":\"2026-11-30T04:00:01.115973Z\",\"actor_user_id\":null,\"actor_username\":\"system\",\"actor_roles\":[],\"actor_org_unit_id\":null,\"action\":\"required_check.create\",\"entity\":\"required_check\",\"entity_id\":\"01a236fd-1810-7184-9a9a-0353b03759b3\",\"org_path\":\"/01a236fd-13fc-75cb-827b-7d50912ade75/01a236fd-1453-7325-a8b6-05318810ef78/01a236fd-1453-7325-a8b6-05321d86044f/01a236fd-1453-7325-a8b6-05394123d498/01a236fd-1453-7325-a8b6-053a08041367/\",\"before\":null,\"after\":{\"id\":\"01a236fd-1810-7184-9a9a-0353b03759b3\",\"customer_id\":\"01a236fd-1461-7059-b776-c6fa0f8218e0\",\"kind\":\"post_loan_inspection\",\"source\":\"A-6\",\"reason\":\"the customer entered an A-6 category\",\"due_on\":\"2026-11-26\",\"org_path\":\"/01a236fd-13fc-75cb-827b-7d50912ade75/01a236fd-1453-7325-a8b6-05318810ef78/01a236fd-1453-7325-a8b6-05321d86044f/01a236fd-1453-7325-a8b6-05394123d498/01a236fd-1453-7325-a8b6-053a08041367/\",\"closed_by_check_id\":null,\"closed_at\":null,\"created_at\":\"2026-11-16T04:00:01.113059\"},\"before_sha256\":null,\"after_sha256\":\"6310a7defb1afe76cb5ab2ee748c47ccbc5533b02815468106c2c73ee23d7f47\",\"snapshot_salt\":\"091c16023f4a7c65dfa949af07fdc305\",\"before_redactions\":null,\"after_redactions\":null,\"request_id\":\"demo\",\"policy_version\":1,\"prev_hash\":\"ecbd26570b14d623983aa283caf53f21a32dae35f914699374e1cb95e2e64e17\",\"hash\":\"f851ca8f6489b4a52d166d6b4b90158de4c0b36a382164f1d19e748c678452a3\"}",
];

// GET /exports/field_checks?format=json as the server sent it, and the server's key of that run.
const FIELD_CHECKS_EXPORT = "{\"items\":[{\"confirmed_by\":null,\"created_at\":\"2026-11-30T04:00:02.204422Z\",\"customer_id\":\"01a23706-3dc6-743e-84c9-4bd52adab21d\",\"decided_at\":null,\"findings\":\"premises, stock and receivables seen; management met\",\"id\":\"01a23706-560b-775c-9888-4f716dbf63fd\",\"kind\":\"post_loan_inspection\",\"lead_rm_id\":\"01a23706-3d7f-727d-b474-4a680df8a1fd\",\"outcome\":\"no change to the risk assessment\",\"performed_at\":\"2026-11-29T08:00:02.204422Z\",\"place\":\"customer's premises\",\"second_rm_id\":\"01a23706-3d7f-727d-b474-4ab0ae3cd7fa\",\"status\":\"awaiting_confirmation\",\"submitted_by\":\"rm.demo\",\"version\":1},{\"confirmed_by\":null,\"created_at\":\"2026-11-30T04:00:02.204422Z\",\"customer_id\":\"01a23706-3d9a-715b-99a0-93cf4bea07f0\",\"decided_at\":null,\"findings\":\"premises, stock and receivables seen; management met\",\"id\":\"01a23706-560c-76a9-995c-72c43b6d78be\",\"kind\":\"post_loan_inspection\",\"lead_rm_id\":\"01a23706-3d7f-727d-b474-4a680df8a1fd\",\"outcome\":\"no change to the risk assessment\",\"performed_at\":\"2026-11-29T08:00:02.204422Z\",\"place\":\"customer's premises\",\"second_rm_id\":\"01a23706-3d7f-727d-b474-4ab0ae3cd7fa\",\"status\":\"awaiting_confirmation\",\"submitted_by\":\"rm.demo\",\"version\":1}],\"manifest\":{\"dataset\":\"field_checks\",\"format\":\"json\",\"filters\":{\"org_unit_id\":null,\"from\":null,\"to\":null},\"generated_at\":\"2026-11-30T04:01:31.364846Z\",\"generated_by\":\"auditor\",\"policy_version\":1,\"row_count\":2,\"items_sha256\":\"40c9f0057bb223e572dc811020b2959f183d8ebb0b5a31e9d32e473c4093a218\",\"chain_from\":null,\"chain_to\":null,\"contiguous\":false,\"complete\":true,\"key_id\":\"8f5d59d5b997492b\",\"signature\":\"de0fcd3d049cd1fb375ff36d701fd924961e0fe906dcce90c8038074c030f147cb102862e5e3e12e0c4b22c82e02f3c0f9e1ee96c00b9ea20f48379b3a290504\"}}\n";
const SERVER_KEY = "65e6c6260d55fb476b5cbe17aa2a14f2578a011fd242461c9cc9e5db6e098df1";
/** A key of our own to sign manifests of test documents, as the server signs them. */
async function signer() {
  const pair = (await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = hex(await subtle.exportKey("raw", pair.publicKey));
  const sign = async (m: { row_count: number; items_sha256: string; chain_from?: string | null; chain_to?: string | null }) =>
    hex(await subtle.sign({ name: "Ed25519" }, pair.privateKey, encode(manifestMessage(m))));
  return { publicKey, sign };
}

/** The JSON document the server streams: items as given, then the signed manifest. */
async function exportOf(items: string[], key: Awaited<ReturnType<typeof signer>>, overrides: Record<string, unknown> = {}) {
  const events = items.map((i) => JSON.parse(i) as { prev_hash: string; hash: string });
  const manifest: Record<string, unknown> = {
    dataset: "audit_events",
    format: "json",
    filters: { org_unit_id: null, from: null, to: null },
    generated_at: "2026-11-30T04:02:37.178599Z",
    generated_by: "auditor",
    policy_version: 1,
    row_count: items.length,
    items_sha256: await sha256Hex(encode(items.map((i) => `${i}\n`).join("")), subtle),
    chain_from: events[0]?.prev_hash ?? null,
    chain_to: events.at(-1)?.hash ?? null,
    contiguous: true,
    complete: true,
    key_id: await keyId(key.publicKey, subtle),
    ...overrides,
  };
  manifest.signature = await key.sign(manifest as never);
  return { text: `{"items":[${items.join(",")}],"manifest":${JSON.stringify(manifest)}}\n`, manifest };
}

const verdicts = (r: ExportReport) => ({ count: r.count.ok, digest: r.digest.ok, signature: r.signature.ok, chain: r.chain?.ok ?? null, ok: r.ok });

describe("verifying an export against its manifest (M-3)", () => {
  it("accepts the server's own export, signed with the server's key", async () => {
    const r = await verifyExport(encode(FIELD_CHECKS_EXPORT), SERVER_KEY, subtle);
    expect(verdicts(r)).toEqual({ count: true, digest: true, signature: true, chain: null, ok: true });
    expect(r.count.found).toBe(2);
    expect(r.digest.found).toBe(r.manifest.items_sha256);
  });

  it("finds one changed character of an item: the digest no longer matches", async () => {
    const tampered = FIELD_CHECKS_EXPORT.replace("premises, stock", "premises, stocK");
    expect(tampered).not.toBe(FIELD_CHECKS_EXPORT);
    const r = await verifyExport(encode(tampered), SERVER_KEY, subtle);
    expect(verdicts(r)).toEqual({ count: true, digest: false, signature: true, chain: null, ok: false });
  });

  it("finds a changed manifest (the signature covers the count and digest) and a foreign key", async () => {
    const recounted = FIELD_CHECKS_EXPORT.replace('"row_count":2', '"row_count":3');
    expect(verdicts(await verifyExport(encode(recounted), SERVER_KEY, subtle))).toEqual({ count: false, digest: true, signature: false, chain: null, ok: false });
    const other = await signer();
    const r = await verifyExport(encode(FIELD_CHECKS_EXPORT), other.publicKey, subtle);
    expect(r.signature).toMatchObject({ key: false, valid: false, ok: false });
  });

  it("re-hashes and links audit events, and names the first edited one", async () => {
    const key = await signer();
    const { text } = await exportOf(EVENTS, key);
    const r = await verifyExport(encode(text), key.publicKey, subtle);
    expect(verdicts(r)).toEqual({ count: true, digest: true, signature: true, chain: true, ok: true });
    expect(r.chain?.checked).toBe(3);

    const edited = text.replace('"action":"flag.raise"', '"action":"flag.raisE"');
    const t = await verifyExport(encode(edited), key.publicKey, subtle);
    expect(verdicts(t)).toEqual({ count: true, digest: false, signature: true, chain: false, ok: false });
    expect(t.chain?.firstBreak).toEqual({ seq: 4, reason: "hash_mismatch" });
  });

  it("finds an event removed even when the manifest was made anew: a gap in a contiguous export", async () => {
    const key = await signer();
    const { text } = await exportOf([EVENTS[0], EVENTS[2]], key);
    const r = await verifyExport(encode(text), key.publicKey, subtle);
    expect(r.chain?.firstBreak).toEqual({ seq: 5, reason: "gap" });
    expect(r.ok).toBe(false);
  });

  it("reads NDJSON, the manifest last", async () => {
    const key = await signer();
    const { manifest } = await exportOf(EVENTS, key, { format: "ndjson" });
    const ndjson = `${EVENTS.join("\n")}\n${JSON.stringify(manifest)}\n`;
    const r = await verifyExport(encode(ndjson), key.publicKey, subtle);
    expect(r.format).toBe("ndjson");
    expect(r.ok).toBe(true);
  });

  it("refuses what is no export", async () => {
    await expect(verifyExport(encode('{"items":[{"a":1}]}'), SERVER_KEY, subtle)).rejects.toEqual(new NotAnExport("no_manifest"));
    await expect(verifyExport(encode("hello"), SERVER_KEY, subtle)).rejects.toBeInstanceOf(NotAnExport);
  });
});

describe("the verify panel", () => {
  beforeEach(resetFakeApi);
  afterEach(cleanup);

  const choose = (text: string) => {
    const file = new File([text], "rmdesk-field_checks.json", { type: "application/json" });
    // jsdom's File may lack arrayBuffer(); the page reads the file with it.
    Object.defineProperty(file, "arrayBuffer", { value: async () => encode(text).buffer });
    fireEvent.change(screen.getByLabelText("Export file to verify"), { target: { files: [file] } });
  };

  it("shows each check matching for the file as exported, and the mismatch for a changed one", async () => {
    route("GET", "/api/v1/audit/public-key", { status: 200, body: { algorithm: "Ed25519", public_key: SERVER_KEY, key_id: "8f5d59d5b997492b" } });
    renderAs(<VerifyExport />, { roles: ["auditor"] });
    await screen.findByText(/Ed25519 key 8f5d59d5b997492b/);
    choose(FIELD_CHECKS_EXPORT);
    const result = await screen.findByTestId("verify-result");
    expect(result.getAttribute("data-ok")).toBe("true");
    expect(result.textContent).toContain("All checks match");
    choose(FIELD_CHECKS_EXPORT.replace("premises, stock", "premises, stocK"));
    await waitFor(() => expect(screen.getByTestId("verify-result").getAttribute("data-ok")).toBe("false"));
    const digest = screen.getByTestId("verify-result").querySelector('[data-check="digest"]');
    expect(digest?.getAttribute("data-ok")).toBe("false");
    expect(digest?.textContent).toContain("Mismatch");
    expect(screen.getByTestId("verify-result").querySelector('[data-check="signature"]')?.getAttribute("data-ok")).toBe("true");
  });
});
