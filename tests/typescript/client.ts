// A small frontend workflow on Orbit's generated types (tests/unit/test_typescript_client.py
// generates ./generated/orbit.d.ts from docs/openapi.json with the command of docs/api.md,
// then type-checks this file with `tsc --noEmit`, strict): one call of each service, request
// bodies written as a frontend would (fields with a server-side default left out), response
// fields read, closed sets switched on exhaustively. No `any`, no casts.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/orbit";

type Schemas = components["schemas"];
type Client = Schemas["ClientOut"];
type Invoice = Schemas["InvoiceOut"];
type Notification = Schemas["NotificationOut"];
type Request = Schemas["RequestOut"];

// Fails to compile when a closed set gains a value no `case` handles.
function unreachable(value: never): never {
  throw new Error(`unhandled value ${String(value)}`);
}

export function clientBadge(client: Client): string {
  switch (client.status) {
    case "prospect":
      return "Prospect";
    case "active":
      return client.tier === "key" ? "Key account" : "Active";
    case "paused":
      return "Paused";
    case "churned":
      return `Churned: ${client.status_reason ?? "no reason given"}`;
    default:
      return unreachable(client.status);
  }
}

export function invoiceTone(invoice: Invoice): "neutral" | "good" | "bad" {
  switch (invoice.status) {
    case "draft":
    case "issued":
    case "partially_paid":
      return "neutral";
    case "paid":
      return "good";
    case "overdue":
      return invoice.promise_state === "pending" ? "neutral" : "bad";
    case "void":
      return "neutral";
    default:
      return unreachable(invoice.status);
  }
}

export function severityIcon(notification: Notification): string {
  switch (notification.severity) {
    case "info":
      return "ℹ";
    case "warning":
      return "⚠";
    case "critical":
      return "‼";
    default:
      return unreachable(notification.severity);
  }
}

export function requestLabel(request: Request): string {
  switch (request.status) {
    case "open":
      return `due ${request.due_at}`;
    case "on_hold":
      return `on hold: ${request.hold_reason ?? ""}`;
    case "acknowledged":
      return `promised by ${request.promised_by ?? "?"}`;
    case "answered":
      return `answered in ${request.response_minutes ?? 0} min`;
    case "breached":
      return "breached";
    case "closed":
      return `closed (${request.close_code ?? "?"}): ${request.close_reason ?? ""}`;
    default:
      return unreachable(request.status);
  }
}

export async function firstDay(baseUrl: string, token: string): Promise<string[]> {
  // JSON answers and problems: the lists that also answer CSV and Excel (?format=) type
  // as their JSON pages.
  const api = createClient<paths, "application/json" | "application/problem+json">({
    baseUrl,
    headers: { Authorization: `Bearer ${token}` },
  });
  const lines: string[] = [];

  // clients: a manager (role defaults to manager), their first client (kind, tier, status,
  // timezone default), a billing contact.
  const staff = await api.POST("/api/v1/staff", {
    body: { name: "Ada Manager", email: "ada@example.com" },
  });
  if (staff.error) throw new Error(staff.error.detail);
  const role: "manager" | "head" | "admin" | "service" | "integration" = staff.data.role;
  const created = await api.POST("/api/v1/clients", {
    body: { name: "Acme GmbH", country: "DE", account_manager_id: staff.data.id, tags: ["de"] },
    params: { header: { "Idempotency-Key": "first-client" } },
  });
  if (created.error) throw new Error(`${created.error.status}: ${created.error.detail}`);
  const client: Client = created.data;
  lines.push(`${client.name} (${client.kind}, ${role}): ${clientBadge(client)}`);
  const contact = await api.POST("/api/v1/clients/{client_id}/contacts", {
    params: { path: { client_id: client.id } },
    body: { name: "Bob Buyer", email: "bob@example.com", roles: ["billing", "decision_maker"] },
  });
  if (contact.error) throw new Error(contact.error.detail);

  // interactions: the first call (requires_response, missed default), then the open requests.
  const call = await api.POST("/api/v1/interactions", {
    body: {
      client_id: client.id,
      type: "call",
      direction: "inbound",
      occurred_at: new Date().toISOString(),
      contact_ids: [contact.data.id],
      summary: "wants a quote",
    },
  });
  if (call.error) throw new Error(call.error.detail);
  const kind: "call" | "email" | "meeting" | "message" | "note" = call.data.type;
  lines.push(`${kind} ${call.data.direction} at ${call.data.occurred_at}`);
  const requests = await api.GET("/api/v1/requests", {
    params: { query: { client_id: client.id, status: "open", limit: 10 } },
  });
  if (requests.error) throw new Error(requests.error.detail);
  lines.push(...requests.data.items.map(requestLabel));

  // billing: a draft invoice (a line without tax_rate), a payment (method defaults).
  const invoice = await api.POST("/api/v1/invoices", {
    body: {
      client_id: client.id,
      currency: "EUR",
      lines: [{ description: "Onboarding", quantity: "1", unit_price: "1200.00" }],
    },
  });
  if (invoice.error) throw new Error(invoice.error.detail);
  const total: string = invoice.data.total;
  lines.push(`invoice ${invoice.data.number ?? "(draft)"} ${total} ${invoice.data.currency}`);
  lines.push(invoiceTone(invoice.data));
  const payment = await api.POST("/api/v1/payments", {
    body: { client_id: client.id, amount: "1200.00", currency: "EUR" },
  });
  if (payment.error) throw new Error(payment.error.detail);
  for (const allocation of payment.data.allocations) {
    const source: "payment" | "credit" = allocation.source;
    lines.push(`${allocation.amount} to ${allocation.invoice_id} from ${source}`);
  }

  // notifications: the caller's unread feed, one page, and where each severity goes.
  const feed = await api.GET("/api/v1/notifications", { params: { query: { unread: true } } });
  if (feed.error) throw new Error(feed.error.detail);
  for (const item of feed.data.items) {
    lines.push(`${severityIcon(item)} ${item.title} (${item.type})`);
  }
  const next: string | null = feed.data.next_cursor;
  if (next !== null) lines.push("more…");
  const preferences = await api.GET("/api/v1/preferences");
  if (preferences.error) throw new Error(preferences.error.detail);
  const critical: ("in_app" | "email")[] = preferences.data.channels.critical;
  lines.push(`critical alerts by ${critical.join(", ")}`);
  return lines;
}
