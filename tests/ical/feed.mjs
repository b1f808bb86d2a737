// Reads an iCalendar file with Mozilla's ical.js (an implementation independent of the
// Python `icalendar` library that wrote it) and prints its events as JSON: uid, summary,
// sequence, status, start and end (UTC instants, or dates for all-day events), the start's
// time zone, and the occurrences of a recurring event within [from, to).
// Usage: node feed.mjs FILE FROM_ISO TO_ISO
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [file, from, to] = process.argv.slice(2);
const root = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
for (const zone of root.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const until = ICAL.Time.fromJSDate(new Date(to), true);
const since = ICAL.Time.fromJSDate(new Date(from), true);
const when = (time) => (time.isDate ? time.toString() : time.toJSDate().toISOString());
const events = root.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  const occurrences = [];
  if (event.isRecurring()) {
    const it = event.iterator();
    for (let next = it.next(); next && next.compare(until) < 0; next = it.next()) {
      if (next.compare(since) >= 0) occurrences.push(next.toString());
    }
  }
  return {
    uid: event.uid,
    summary: event.summary,
    sequence: event.sequence,
    status: component.getFirstPropertyValue("status"),
    start: when(event.startDate),
    end: event.endDate ? when(event.endDate) : null,
    zone: event.startDate.isDate ? null : event.startDate.zone.tzid,
    recurring: event.isRecurring(),
    occurrences,
  };
});
process.stdout.write(JSON.stringify(events));
