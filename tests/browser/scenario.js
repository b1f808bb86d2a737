// What a frontend on another origin does with Orbit, in the page's own JavaScript (so CORS
// applies): fetches with a bearer token, the live stream through a native EventSource opened
// with a stream ticket, a notification caused by a write, and dropped streams resumed (a
// fetch-based reader sending Last-Event-ID, new EventSources with ?last_event_id=).
// It returns what it saw; tests/e2e/test_browser.py judges it.

const WAIT_MS = 30000; // a guard against hanging, not a measurement

function within(promise, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

function headersOf(response, names) {
  return Object.fromEntries(names.map((name) => [name, response.headers.get(name)]));
}

// A native EventSource and the notifications it received ({id, title}), in order.
function listen(url) {
  const source = new EventSource(url);
  const received = [];
  let wake = () => {};
  source.addEventListener("notification", (event) => {
    received.push({ id: event.lastEventId, title: JSON.parse(event.data).title });
    wake();
  });
  const opened = new Promise((resolve, reject) => {
    source.onopen = () => resolve();
    source.onerror = () => reject(new Error(`EventSource failed, readyState ${source.readyState}`));
  });
  async function until(count) {
    while (received.length < count) {
      await new Promise((resolve) => (wake = resolve));
    }
    return received.slice();
  }
  return { source, received, opened: within(opened, "stream open"), until };
}

// Server-sent events read with fetch (which can send headers): the first `count` events.
async function readWithFetch(url, headers, count) {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events = [];
  if (response.ok) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    while (events.length < count) {
      const { value, done } = await within(reader.read(), "stream data");
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split("\n")
            .filter((line) => !line.startsWith(":") && line.includes(": "))
            .map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]),
        );
        if (fields.event === "notification") {
          events.push({ id: fields.id, title: JSON.parse(fields.data).title });
        }
      }
    }
  }
  abort.abort();
  return { status: response.status, events };
}

window.runScenario = async function runScenario(cfg) {
  const api = cfg.api;
  const stream = `${api}/api/v1/notifications/stream`;
  const as = (token, more = {}) => ({ Authorization: `Bearer ${token}`, ...more });
  const seen = { origin: window.location.origin, tickets: [] };

  async function ticket() {
    const response = await fetch(`${api}/api/v1/notifications/stream-tickets`, {
      method: "POST",
      headers: as(cfg.manager),
    });
    const body = await response.json();
    seen.tickets.push(body.ticket);
    return { status: response.status, cacheControl: response.headers.get("Cache-Control"), ...body };
  }

  async function createClient(name, key) {
    const init = {
      method: "POST",
      headers: as(cfg.admin, { "Content-Type": "application/json", "Idempotency-Key": key }),
      body: JSON.stringify({ name, account_manager_id: cfg.managerId }),
    };
    const response = await fetch(`${api}/api/v1/clients`, init);
    return { status: response.status, ...headersOf(response, ["Idempotent-Replayed", "X-Request-ID"]) };
  }

  // A CORS fetch with a bearer token; the exposed X-Request-ID is readable.
  const list = await fetch(`${api}/api/v1/clients`, { headers: as(cfg.manager) });
  seen.list = { status: list.status, ...headersOf(list, ["X-Request-ID"]), body: await list.json() };

  // The native EventSource, opened with a ticket, gets the notification of a write.
  const first = await ticket();
  seen.ticket = { status: first.status, cacheControl: first.cacheControl, expires_at: first.expires_at };
  const live = listen(`${stream}?ticket=${encodeURIComponent(first.ticket)}`);
  await live.opened;
  seen.created = [await createClient(`${cfg.tag} one`, `${cfg.tag}-1`)];
  seen.replayed = await createClient(`${cfg.tag} one`, `${cfg.tag}-1`);
  seen.live = await within(live.until(1), "notification on the EventSource");

  // The ticket is spent: the page reads the 401 problem+json.
  const again = await fetch(`${stream}?ticket=${encodeURIComponent(first.ticket)}`);
  seen.reused = { status: again.status, type: again.headers.get("Content-Type"), body: await again.json() };

  // The connection drops; two notifications come meanwhile; a fetch-based reader resumes
  // with the Last-Event-ID header (a preflighted request).
  live.source.close();
  seen.created.push(await createClient(`${cfg.tag} two`, `${cfg.tag}-2`));
  seen.created.push(await createClient(`${cfg.tag} three`, `${cfg.tag}-3`));
  const lastId = seen.live[seen.live.length - 1].id;
  seen.fetched = await readWithFetch(stream, as(cfg.manager, { "Last-Event-ID": lastId }), 2);

  // Dropped again, one more notification; a new EventSource resumes with a new ticket and
  // ?last_event_id= (an EventSource cannot set the header itself).
  seen.created.push(await createClient(`${cfg.tag} four`, `${cfg.tag}-4`));
  const second = await ticket();
  const resumeAfter = seen.fetched.events[seen.fetched.events.length - 1]?.id ?? "";
  const query = new URLSearchParams({ ticket: second.ticket, last_event_id: resumeAfter });
  const resumed = listen(`${stream}?${query}`);
  await resumed.opened;
  seen.resumed = await within(resumed.until(1), "notification on the resumed EventSource");
  // Anything replayed before "four" would have arrived first; one more write shows nothing
  // else was queued behind it.
  seen.created.push(await createClient(`${cfg.tag} five`, `${cfg.tag}-5`));
  seen.resumed = await within(resumed.until(2), "the next notification");

  // A real drop: the test cuts the connections to Orbit under the open EventSource. The
  // browser reconnects by itself (same URL, with Last-Event-ID); the spent ticket is
  // refused and the EventSource closes. The page resumes as docs/api.md says.
  const states = [];
  const closed = new Promise((resolve) => {
    resumed.source.addEventListener("error", () => {
      states.push(resumed.source.readyState);
      if (resumed.source.readyState === EventSource.CLOSED) resolve();
    });
  });
  seen.cut = (await fetch("/cut", { method: "POST" })).status;
  await within(closed, "the EventSource to give up");
  seen.native = { states, received: resumed.received.length };
  seen.created.push(await createClient(`${cfg.tag} six`, `${cfg.tag}-6`));
  const third = await ticket();
  const lastSeen = seen.resumed[seen.resumed.length - 1].id;
  const reopened = listen(`${stream}?${new URLSearchParams({ ticket: third.ticket, last_event_id: lastSeen })}`);
  await reopened.opened;
  seen.reopened = await within(reopened.until(1), "notification after the drop");
  reopened.source.close();
  return seen;
};
