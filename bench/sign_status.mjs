// Helper for status_vs_nginx.sh: makes a guest player with one searching ticket on a running
// node and prints a wrk Lua script that sends its signed GET /requestmatchstatus (a signature
// stays valid for the 5-minute skew window), plus the path and the response body size.
import path from "node:path";
import { fileURLToPath } from "node:url";
const here = path.dirname(fileURLToPath(import.meta.url));
const { guestCredentials, signedFetch, signedHeaders } = await import(path.join(here, "../tests/e2e/lib.mjs"));

const base = process.argv[2];
const p = await guestCredentials(base);
const t = await signedFetch(base, p, "GET", "/requestmatchmaking", { latencies: "custom-local-a_10" });
if (t.status !== 200) throw new Error(t.text);
const ticketId = t.json.TicketId;
const headers = await signedHeaders(base, p, "GET", "/requestmatchstatus", { ticketId });
const check = await signedFetch(base, p, "GET", "/requestmatchstatus", { ticketId });
const lua = ['wrk.method = "GET"'];
for (const [k, v] of Object.entries(headers)) lua.push(`wrk.headers["${k}"] = "${v}"`);
console.log(JSON.stringify({ path: `/requestmatchstatus?ticketId=${ticketId}`, bodyBytes: Buffer.byteLength(check.text), lua: lua.join("\n") }));
